"""The training loop: time-budgeted, resumable, logged, validated."""

from __future__ import annotations

import copy
import csv
import math
import os
import platform
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from .. import __version__
from ..model.checkpoints import load_checkpoint, save_checkpoint
from ..model.mimo_unet import build_variant
from ..model.registry import VARIANTS
from . import blur
from .data import PairedFolderStream, SyntheticBlurStream, ValidationSet, load_photos
from .losses import mimo_loss
from .metrics import psnr

LOG_FIELDS = [
    "step", "samples", "train_hours", "lr", "loss", "content", "frequency",
    "val_psnr", "val_input_psnr", "identity_psnr", "crops_per_second",
]


@dataclass
class TrainConfig:
    data: str
    run_dir: str
    model: str = "mimo-unet"
    crop: int = 256
    batch: int = 4
    lr: float = 3e-4
    lr_min: float = 1e-5
    warmup_steps: int = 300
    hours: float = 1.0
    checkpoint_minutes: float = 5.0
    validation: str | None = None
    val_minutes: float = 20.0
    val_limit: int | None = None
    workers: int = 2
    device: str = "auto"
    bf16: bool = True
    seed: int = 0
    init: str | None = None  # start from these weights (fine-tuning)
    grad_clip: float = 1.0
    ema_decay: float = 0.999  # validate and export an exponential moving average of the weights; 0: off
    max_steps: int | None = None  # stop after this many steps in this run (tests, smoke runs)
    max_blur: float = 35.0  # longest synthetic shake, in pixels
    # the synthetic degradation besides the blur (defaults: blur.BlurConfig's)
    noise_scale: float = 1.0  # multiplies the sensor noise's standard deviation
    noise_prob: float = blur.DEFAULT_CONFIG.noise_prob
    noise_in_target: bool = False  # the same noise in the sharp target: learn to deblur, not to denoise
    jpeg_prob: float = blur.DEFAULT_CONFIG.jpeg_prob
    jpeg_quality: tuple[int, int] = blur.DEFAULT_CONFIG.jpeg_quality

    def blur_config(self) -> blur.BlurConfig:
        defaults = blur.DEFAULT_CONFIG
        # shot noise is a variance coefficient (var = a x + b^2): scale it by the square
        return blur.BlurConfig(
            kernel_size=(defaults.kernel_size[0], self.max_blur),
            noise_prob=self.noise_prob,
            shot_noise=tuple(a * self.noise_scale**2 for a in defaults.shot_noise),
            read_noise=tuple(b * self.noise_scale for b in defaults.read_noise),
            noise_in_target=self.noise_in_target,
            jpeg_prob=self.jpeg_prob,
            jpeg_quality=tuple(self.jpeg_quality),
        )


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def learning_rate(config: TrainConfig, step_in_run: int, fraction: float) -> float:
    """Linear warm-up, then cosine decay over this run's time budget."""
    if step_in_run < config.warmup_steps:
        return config.lr * (step_in_run + 1) / config.warmup_steps
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, fraction)))
    return config.lr_min + (config.lr - config.lr_min) * cosine


class Trainer:
    def __init__(self, config: TrainConfig, log=print) -> None:
        self.config = config
        self.log = log
        self.run_dir = Path(config.run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.device = _device(config.device)
        self.variant = VARIANTS[config.model]
        # the lean fusion is the same function with the same weights, in less memory traffic:
        # a bf16 training step (batch 4, 192 px) took 2.75 s instead of 2.88 s on this CPU
        self.model = build_variant(self.variant, lean_fusion=True).to(self.device, memory_format=torch.channels_last)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        # The weights move by several tenths of a dB of validation PSNR from one checkpoint
        # to the next even at the end of a cosine schedule (measured on the GPU runs); an
        # average over the last ~1000 steps is steadier and usually better than any one step.
        self.ema = None
        if config.ema_decay:
            self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.step = 0
        self.samples = 0
        self.train_seconds = 0.0
        self.best_psnr = -math.inf
        self.validation = None
        if config.validation:
            self.validation = ValidationSet.load(Path(config.validation)).subset(config.val_limit)
        self._stop = False

    # ------------------------------------------------------------ state
    @property
    def state_path(self) -> Path:
        return self.run_dir / "state.pt"

    def save_state(self) -> None:
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "samples": self.samples,
            "train_seconds": self.train_seconds,
            "best_psnr": self.best_psnr,
            "variant": self.variant.key,
        }
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        temp = self.state_path.with_suffix(".tmp")
        torch.save(state, temp)
        os.replace(temp, self.state_path)

    def resume(self) -> None:
        state = torch.load(self.state_path, map_location="cpu", weights_only=True)
        if state["variant"] != self.variant.key:
            raise ValueError(f"{self.state_path}: holds a {state['variant']} run, not {self.variant.key}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.ema is not None:  # a run saved without an average starts one from its weights
            self.ema.load_state_dict(state.get("ema", state["model"]))
        self.step, self.samples = int(state["step"]), int(state["samples"])
        self.train_seconds, self.best_psnr = float(state["train_seconds"]), float(state["best_psnr"])
        self.log(f"resumed {self.state_path} at step {self.step}, {self.samples} samples, "
                 f"{self.train_seconds / 3600:.2f} h, best {self.best_psnr:.2f} dB")

    def load_init(self, path: str) -> None:
        checkpoint = load_checkpoint(path, expected_variant=self.variant.key)
        self.model.load_state_dict(checkpoint.state_dict)
        if self.ema is not None:
            self.ema.load_state_dict(checkpoint.state_dict)
        self.log(f"starting from {path}")

    # ------------------------------------------------------------ data
    def _loader(self) -> DataLoader:
        config = self.config
        seed = config.seed * 1_000_003 + self.step  # a resumed run draws new crops
        root = Path(config.data)
        if any(root.rglob("sharp")):
            dataset = PairedFolderStream(root, config.crop, seed)
        else:
            photos_dir = root / "train" if (root / "train").is_dir() else root
            photos = load_photos(photos_dir, min_side=config.crop + 48)
            self.log(f"{len(photos)} training photos from {photos_dir}")
            dataset = SyntheticBlurStream(photos, config.crop, seed, config.blur_config())
        return DataLoader(
            dataset, batch_size=config.batch, num_workers=config.workers,
            pin_memory=self.device.type == "cuda", persistent_workers=config.workers > 0,
            prefetch_factor=4 if config.workers else None,
        )

    # ------------------------------------------------------------ validation
    def validate(self) -> dict[str, float]:
        if self.validation is None:
            return {}
        network = self.evaluated_model
        network.eval()
        outputs, identities = [], []
        with torch.inference_mode(), self._autocast():
            for start in range(0, len(self.validation.names), 8):
                for source, sink in ((self.validation.blurry, outputs), (self.validation.sharp, identities)):
                    batch = torch.from_numpy(source[start : start + 8]).to(self.device)
                    batch = batch.permute(0, 3, 1, 2).float().div(255).contiguous(memory_format=torch.channels_last)
                    full = network(batch)[2].float().clamp(0, 1)
                    sink.extend(full.permute(0, 2, 3, 1).cpu().numpy())
        self.model.train()
        sharp = self.validation.sharp.astype(np.float32) / 255
        blurry = self.validation.blurry.astype(np.float32) / 255
        return {
            "val_psnr": float(np.mean([psnr(o, s) for o, s in zip(outputs, sharp)])),
            "val_input_psnr": float(np.mean([psnr(b, s) for b, s in zip(blurry, sharp)])),
            "identity_psnr": float(np.mean([psnr(o, s) for o, s in zip(identities, sharp)])),
        }

    @property
    def evaluated_model(self) -> torch.nn.Module:
        """What is validated and exported: the moving average when there is one."""
        return self.ema if self.ema is not None else self.model

    def _update_ema(self) -> None:
        if self.ema is None:
            return
        # a short memory at first, so the average is not dominated by the starting weights
        decay = min(self.config.ema_decay, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for average, current in zip(self.ema.parameters(), self.model.parameters()):
                average.lerp_(current, 1 - decay)

    def _autocast(self):
        enabled = self.config.bf16
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=enabled)

    def export(self, path: Path, metrics: dict[str, float]) -> None:
        metadata = {
            "variant": self.variant.key,
            "trained_by": "deblur_app starter weights (synthetic camera-shake blur on CC/GPL photos)",
            "deblur_app_version": __version__,
            "samples_seen": str(self.samples),
            "train_hours": f"{self.train_seconds / 3600:.3f}",
            "steps": str(self.step),
            "crop": str(self.config.crop),
            "batch": str(self.config.batch),
            "hardware": f"{self.device.type}: {torch.cuda.get_device_name() if self.device.type == 'cuda' else platform.processor() or platform.machine()}",
        }
        metadata.update({k: f"{v:.3f}" for k, v in metrics.items()})
        if self.ema is not None:
            metadata["ema_decay"] = str(self.config.ema_decay)
        save_checkpoint(path, self.evaluated_model, metadata)

    # ------------------------------------------------------------ loop
    def request_stop(self, *_args) -> None:
        self._stop = True

    def train(self) -> Path:
        config = self.config
        torch.manual_seed(config.seed + self.step)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        previous = signal.signal(signal.SIGINT, self.request_stop)
        log_path = self.run_dir / "log.csv"
        new_log = not log_path.exists()
        self._run_base = self.train_seconds
        speed_window_started = time.monotonic()
        self.model.train()
        try:
            with open(log_path, "a", newline="") as log_file:
                self._log_file = log_file
                writer = csv.DictWriter(log_file, LOG_FIELDS)
                if new_log:
                    writer.writeheader()
                if self.step == 0 and self.validation is not None:
                    self._record(writer, {}, self.validate(), 0.0)
                run_started = time.monotonic()
                self._run_steps(writer, run_started, speed_window_started)
                self._save(time.monotonic() - run_started)
                self._validate_and_export(writer, time.monotonic() - run_started)
        finally:
            signal.signal(signal.SIGINT, previous)
        return self.run_dir / "best.safetensors"

    def _run_steps(self, writer: csv.DictWriter, run_started: float, window_started: float) -> None:
        """Train until stopped (Ctrl+C), out of time or at max_steps; every 50 steps a log row (with the speed
        since ``window_started``), validation and checkpoints on their own clocks."""
        config = self.config
        budget = config.hours * 3600
        last_checkpoint = last_validation = run_started
        step_in_run, window_samples = 0, 0
        for blurry, sharp in self._loader():
            elapsed = time.monotonic() - run_started
            if self._stop or elapsed >= budget or step_in_run == (config.max_steps or -1):
                break
            lr = learning_rate(config, step_in_run, elapsed / budget)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            losses = self._train_step(blurry, sharp)
            self.step += 1
            step_in_run += 1
            self.samples += blurry.shape[0]
            window_samples += blurry.shape[0]
            now = time.monotonic()
            if self.step % 50 == 0:
                speed = window_samples / (now - window_started)
                window_samples, window_started = 0, now
                self._record(writer, {**losses, "lr": lr, "crops_per_second": speed}, {}, now - run_started)
            if now - last_validation >= config.val_minutes * 60:
                self._validate_and_export(writer, now - run_started)
                last_validation = time.monotonic()
            if now - last_checkpoint >= config.checkpoint_minutes * 60:
                self._save(now - run_started)
                last_checkpoint = time.monotonic()

    def _save(self, run_elapsed: float) -> None:
        self.train_seconds = self._run_base + run_elapsed
        self.save_state()

    def _train_step(self, blurry: torch.Tensor, sharp: torch.Tensor) -> dict[str, float]:
        to_float = lambda t: t.to(self.device, non_blocking=True).float().div_(255).contiguous(memory_format=torch.channels_last)  # noqa: E731
        blurry, sharp = to_float(blurry), to_float(sharp)
        with self._autocast():
            outputs = self.model(blurry)
        loss, parts = mimo_loss(outputs, sharp)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self._update_ema()
        return {"loss": float(loss.detach()), **parts}

    def _validate_and_export(self, writer, run_elapsed: float) -> None:
        metrics = self.validate()
        self._record(writer, {}, metrics, run_elapsed)
        self._save(run_elapsed)
        self.export(self.run_dir / "last.safetensors", metrics)
        if metrics and metrics["val_psnr"] > self.best_psnr:
            self.best_psnr = metrics["val_psnr"]
            self.export(self.run_dir / "best.safetensors", metrics)
            self.save_state()
        if metrics:
            self.log(f"step {self.step}: validation {metrics['val_psnr']:.2f} dB "
                     f"(input {metrics['val_input_psnr']:.2f} dB, identity {metrics['identity_psnr']:.2f} dB)")

    def _record(self, writer, losses: dict, metrics: dict, run_elapsed: float) -> None:
        hours = (self._run_base + run_elapsed) / 3600
        row = {"step": self.step, "samples": self.samples, "train_hours": f"{hours:.4f}"}
        row.update({k: f"{v:.6g}" for k, v in {**losses, **metrics}.items() if k in LOG_FIELDS})
        writer.writerow(row)
        self._log_file.flush()  # the log survives a killed run
        if losses:
            self.log(f"step {self.step} loss {losses['loss']:.4f} lr {losses['lr']:.2e} "
                     f"{losses['crops_per_second']:.1f} crops/s")


def run_training(config: TrainConfig, resume: bool, log=print) -> Path:
    trainer = Trainer(config, log=log)
    if resume and trainer.state_path.exists():
        trainer.resume()
    elif config.init:
        trainer.load_init(config.init)
    log(f"training {trainer.variant.display_name} on {trainer.device}: {asdict(config)}")
    return trainer.train()

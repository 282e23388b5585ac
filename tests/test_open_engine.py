"""jobs.open_engine: the one way the command line, the window's worker and the cluster open an engine."""

import pytest
import torch

from deblur_app.cli.main import build_parser
from deblur_app.cli.options import choices_from_args
from deblur_app.jobs import EngineChoices, JobError, open_engine
from deblur_app.jobs import run as jobs_run
from seeded_weights import save_seeded_weights


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_seeded_weights(tmp_path_factory.mktemp("weights"), "tests") / "mimo-unet.safetensors"


def test_the_choices_become_the_engine_options_and_a_description(weights):
    opened = open_engine(EngineChoices(weights=weights, ensemble=True, device="cpu", precision="fp32",
                                       backend="torch", tile=0))
    options = opened.engine.options
    assert (options.device, options.precision, options.backend, options.tile, options.ensemble) == ("cpu", "fp32", "torch", 0, True)
    assert opened.checkpoint.path == weights
    assert opened.describe() == "MIMO-UNet with self-ensemble (mimo-unet.safetensors) on cpu fp32"


def test_the_command_line_options_name_the_same_choices(weights):
    args = build_parser().parse_args(["deblur", "in.jpg", "--model", "mimo-unet++", "--weights", str(weights),
                                      "--device", "cpu", "--precision", "bf16", "--backend", "torch", "--tile", "512"])
    assert choices_from_args(args) == EngineChoices(variant="mimo-unet+", weights=weights, ensemble=True, device="cpu",
                                                    precision="bf16", backend="torch", tile=512)
    plain = build_parser().parse_args(["deblur", "in.jpg", "--ensemble"])
    assert choices_from_args(plain) == EngineChoices(ensemble=True)


def test_weights_of_another_network_and_a_missing_device_are_one_line_job_errors(weights, monkeypatch):
    with pytest.raises(JobError, match="mimo-unet"):
        open_engine(EngineChoices(variant="mimo-unet+", weights=weights))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(JobError, match="CUDA"):
        open_engine(EngineChoices(weights=weights, device="cuda"))


def test_given_weights_are_not_loaded_again(weights, monkeypatch):
    checkpoint = jobs_run.open_checkpoint(EngineChoices(weights=weights))

    def load_again(*args):
        raise AssertionError("loaded again")

    monkeypatch.setattr(jobs_run, "load_model", load_again)
    opened = open_engine(EngineChoices(device="cpu", backend="torch"), checkpoint)
    assert opened.checkpoint is checkpoint and opened.engine.backend == "torch"

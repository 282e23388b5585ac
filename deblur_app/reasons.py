"""The one-line reasons the core gives, in one catalogue: why a photo could not be read or
written, a batch left a file out, weights could not be installed, a precision was chosen,
where weights came from.

The core speaks English and imports no Qt: the command line is never translated (scripts
parse it). The window shows the same reasons in its language: every reason here is a template
marked for Qt's lupdate (scripts/translations.py reads this file beside deblur_app/gui).

A reason travels as a ``Reason``: the template and what fills its fields, never as the English
sentence alone. ``str(reason)`` is the English the command line prints; the window
(gui/reasons.py) translates the template and fills in the same fields, a field that is itself a
Reason translated too. So the code that raises an error gives the exception a Reason
(``raise ImageFileError(path, reason(CANNOT_READ, cause=...))``, ``raise
WeightsError(about(path, reason(NOT_A_WEIGHTS_FILE)))``), and whoever passes an error on passes
``of(error)``, the Reason it carries. Text from outside our code (an OS error, a library's
message) stays a plain str in a field, or a plain str where no Reason was given; the window
shows a plain str as it came, in English (tests/test_reasons.py checks that every reason the
core makes is a Reason of a catalogue template: ``reason(TEMPLATE, ...)``, never the bare template).

Templates take plain ``{field}`` placeholders only (no format specs): the numbers are
formatted before they go in, so the English and the translation show the same text.
"""

from __future__ import annotations

import errno
import os
import re
import unicodedata

CONTEXT = "Reason"  # the translation context of every template


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name lupdate looks for)
    """Marks ``text`` for lupdate, as Qt's own QT_TRANSLATE_NOOP does; returns it unchanged."""
    return text


# -- reading a photo (imagefiles)
IS_A_FOLDER = QT_TRANSLATE_NOOP("Reason", "is a folder, not an image file")
NOT_A_REGULAR_FILE = QT_TRANSLATE_NOOP("Reason", "is a device, pipe or socket, not an image file")
FILE_NOT_FOUND = QT_TRANSLATE_NOOP("Reason", "file not found")
SYMBOLIC_LINK_LOOP = QT_TRANSLATE_NOOP("Reason", "is a symbolic link loop (it leads back to itself, never to a file)")
CANNOT_READ_PERMISSION = QT_TRANSLATE_NOOP("Reason", "permission denied (cannot read the file)")
CANNOT_READ = QT_TRANSLATE_NOOP("Reason", "cannot read the file ({cause})")
EMPTY_FILE = QT_TRANSLATE_NOOP("Reason", "file is empty (0 bytes)")
TRUNCATED = QT_TRANSLATE_NOOP("Reason", "file is truncated or damaged ({cause})")
JPEG_CUT_SHORT = QT_TRANSLATE_NOOP("Reason", "file is truncated (its JPEG data stops before the end-of-image marker)")
JPEG_DATA_RAN_OUT = QT_TRANSLATE_NOOP(
    "Reason", "file is truncated (its JPEG data stops before the picture does; an end-of-image marker follows the cut)")
JPEG_SCANS_MISSING = QT_TRANSLATE_NOOP("Reason", "file is truncated (its later JPEG scans, with the fine detail, are missing)")
PNG_CUT_SHORT = QT_TRANSLATE_NOOP("Reason", "file is truncated (its PNG data stops before the end chunk IEND)")
TIFF_CUT_SHORT = QT_TRANSLATE_NOOP("Reason", "file is truncated (its TIFF image data runs past the end of the file)")
WEBP_CUT_SHORT = QT_TRANSLATE_NOOP("Reason", "file is truncated (it is shorter than its WebP header says)")
DATA_TOO_SHORT = QT_TRANSLATE_NOOP(
    "Reason", "file is truncated or damaged (its {format} data is too short for {width} x {height} pixels)")
CORRUPT = QT_TRANSLATE_NOOP("Reason", "corrupt or unreadable image ({cause})")
NOT_AN_IMAGE = QT_TRANSLATE_NOOP("Reason", "not an image file, or an unsupported format")
HEIF_NEEDS_PACKAGE = QT_TRANSLATE_NOOP(
    "Reason", "HEIC/HEIF photos need the optional package pillow-heif (pip install pillow-heif)")
UNSUPPORTED_FORMAT = QT_TRANSLATE_NOOP(
    "Reason", "unsupported image format {format} (use JPEG, PNG, TIFF, WebP, BMP or HEIC)")
TOO_MANY_PIXELS = QT_TRANSLATE_NOOP(
    "Reason", "{megapixels} megapixels exceeds the limit of {limit} megapixels (set --max-megapixels to raise it)")
MULTI_PAGE_TIFF = QT_TRANSLATE_NOOP("Reason", "a multi-page TIFF")
ANIMATED_GIF = QT_TRANSLATE_NOOP("Reason", "an animated GIF")
ANIMATED_WEBP = QT_TRANSLATE_NOOP("Reason", "an animated WebP")
ANIMATED_PNG = QT_TRANSLATE_NOOP("Reason", "an animated PNG")
A_FORMAT_FILE = QT_TRANSLATE_NOOP("Reason", "a {format} file")
PAGES, PAGE = QT_TRANSLATE_NOOP("Reason", "pages"), QT_TRANSLATE_NOOP("Reason", "page")
FRAMES, FRAME = QT_TRANSLATE_NOOP("Reason", "frames"), QT_TRANSLATE_NOOP("Reason", "frame")
UNSUPPORTED_SAMPLE_TYPE = QT_TRANSLATE_NOOP("Reason", "unsupported sample type {type} (only 8- and 16-bit images)")
UNSUPPORTED_CHANNELS = QT_TRANSLATE_NOOP("Reason", "unsupported number of channels ({channels})")
UNSUPPORTED_COLOUR_MODE = QT_TRANSLATE_NOOP("Reason", "unsupported colour mode {mode}")
FLOATING_POINT_PIXELS = QT_TRANSLATE_NOOP("Reason", "{bits}-bit floating-point pixels (only 8- and 16-bit images)")
WIDE_INTEGER_PIXELS = QT_TRANSLATE_NOOP("Reason", "{bits}-bit integer pixels (only 8- and 16-bit images)")
CORRUPT_16_BIT = QT_TRANSLATE_NOOP("Reason", "corrupt or unreadable 16-bit image")
SEVERAL_PICTURES = QT_TRANSLATE_NOOP(
    "Reason", "{kind} ({count} {unit}); only single-picture files are deblurred: save the {one} you want as its own file")

# -- camera RAW files (imagefiles.raw)
RAW_NEEDS_RAWPY = QT_TRANSLATE_NOOP("Reason", "camera RAW files need the package rawpy (pip install rawpy)")
RAW_UNSUPPORTED = QT_TRANSLATE_NOOP("Reason", "not a camera RAW file, or a camera LibRaw does not support")
RAW_IS_ANOTHER_FORMAT = QT_TRANSLATE_NOOP(
    "Reason", "a {format} image named like a camera RAW file, not a RAW file; rename it to {suffix} to open it")
RAW_DAMAGED = QT_TRANSLATE_NOOP("Reason", "RAW file is truncated or damaged (LibRaw could not read its image data)")
RAW_NO_MEMORY = QT_TRANSLATE_NOOP("Reason", "not enough memory to develop this RAW file")
RAW_CANNOT_DEVELOP = QT_TRANSLATE_NOOP("Reason", "cannot develop this RAW file ({cause})")

# -- writing a result (imagefiles)
CANNOT_WRITE_IN_FOLDER = QT_TRANSLATE_NOOP("Reason", "permission denied (cannot write in folder {folder})")
CANNOT_CREATE = QT_TRANSLATE_NOOP("Reason", "cannot create the file ({cause})")
NO_TEMPORARY_FILE = QT_TRANSLATE_NOOP("Reason", "cannot create a temporary file next to it")
ALREADY_EXISTS = QT_TRANSLATE_NOOP("Reason", "already exists (not overwriting it)")
COULD_NOT_WRITE = QT_TRANSLATE_NOOP("Reason", "could not write the image ({cause})")
NOT_RUN_DISK_FULL = QT_TRANSLATE_NOOP(
    "Reason", "not deblurred: the output folder's disk is full (the batch stopped at the first write that failed)")
SAVE_TO_FOLDER = QT_TRANSLATE_NOOP("Reason", "is a folder; give a file name to save to")
FOLDER_MISSING = QT_TRANSLATE_NOOP("Reason", "folder {folder} does not exist")
WOULD_REPLACE_INPUT = QT_TRANSLATE_NOOP(
    "Reason", "refusing to overwrite the input file (enable overwrite to replace it)")
# the one wording of the 16-bit rule, for Save, Save As, a batch and the command line
SIXTEEN_BITS_NEED_PNG_OR_TIFF = QT_TRANSLATE_NOOP("Reason", "16-bit output needs PNG or TIFF, not {format}")
NO_HEIF_WRITING = QT_TRANSLATE_NOOP(
    "Reason", "HEIC/HEIF files cannot be written; save as .jpg, .png or .tif instead")
NO_RAW_WRITING = QT_TRANSLATE_NOOP(
    "Reason", "camera RAW files are never written; save as .tif (16-bit), .png or .jpg instead")
UNWRITABLE_EXTENSION = QT_TRANSLATE_NOOP("Reason", "cannot write '{suffix}' files; use one of {extensions}")
NO_EXTENSION = QT_TRANSLATE_NOOP("Reason", "no file extension; use one of {extensions}")

# -- a batch (jobs)
OUTPUT_FOLDER_IS_A_FILE = QT_TRANSLATE_NOOP("Reason", "is a file, not a folder for the outputs")
CANNOT_CREATE_OUTPUT_FOLDER = QT_TRANSLATE_NOOP("Reason", "cannot create the output folder ({cause})")
NOT_A_FOLDER = QT_TRANSLATE_NOOP("Reason", "not a folder")
NO_SCALE_OUTPUTS = QT_TRANSLATE_NOOP(
    "Reason", "the network returns only the full-size image: no 1/2 and 1/4 outputs to save")
OUR_OUTPUT_BESIDE = QT_TRANSLATE_NOOP(
    "Reason", "an output of this app (the deblurred copy of {photo}), not a photo to deblur")
OUR_OUTPUT_MARKED = QT_TRANSLATE_NOOP("Reason", "an output of this app (made by {marker}), not a photo to deblur")
UNSUPPORTED_EXTENSION = QT_TRANSLATE_NOOP(
    "Reason", "{suffix} files are not supported (JPEG, PNG, TIFF, WebP, BMP and HEIC are)")
NOT_AN_IMAGE_FILE = QT_TRANSLATE_NOOP("Reason", "not an image file")
SHARP_ENOUGH = QT_TRANSLATE_NOOP("Reason", "sharp enough (blur score {score} < {threshold})")
UNKNOWN_MODEL = QT_TRANSLATE_NOOP("Reason", "unknown model {name}; choose one of {choices}")
NO_SUCH_FOLDER = QT_TRANSLATE_NOOP("Reason", "no such folder")
CANNOT_WRITE_IN_OUTPUT_FOLDER = QT_TRANSLATE_NOOP("Reason", "cannot write in the output folder ({cause})")
EXISTS = QT_TRANSLATE_NOOP("Reason", "already exists")
OUTPUT_EXISTS = QT_TRANSLATE_NOOP("Reason", "{output} already exists")  # why a batch skips a photo
IS_THE_INPUT = QT_TRANSLATE_NOOP("Reason", "already exists and is the input photo; originals are never replaced")
IS_ANOTHER_INPUT = QT_TRANSLATE_NOOP(
    "Reason", "already exists and is the input photo {original}; originals are never replaced")
NOT_MARKED_AS_OURS = QT_TRANSLATE_NOOP(
    "Reason", "already exists in the input folder without this app's marker (it may be a photo of yours); "
    "it is never replaced")
ALSO_THE_OUTPUT_OF = QT_TRANSLATE_NOOP(
    "Reason", "its output {output} is also the output of {photo}; give each photo its own output")
USE_OVERWRITE = QT_TRANSLATE_NOOP("Reason", "{problem} (use --overwrite to replace it)")
NAME_TOO_LONG = QT_TRANSLATE_NOOP(
    "Reason", "the name is {length} bytes long, more than the {limit} its folder allows; choose a shorter output name")
# one photo's unexpected failure (jobs.run.one_line_reason): the error's own words, with advice
OUT_OF_MEMORY_ADVICE = QT_TRANSLATE_NOOP("Reason", "Out of memory: {error}. Try a smaller tile size or the CPU.")

# -- scanning for blur (jobs.scan)
OUT_OF_MEMORY_READING = QT_TRANSLATE_NOOP("Reason", "out of memory while reading it")
CANNOT_SCORE = QT_TRANSLATE_NOOP("Reason", "cannot score it ({cause})")

# -- a batch or scan on a Ray cluster (jobs.cluster, cli.cluster)
RAY_NOT_INSTALLED = QT_TRANSLATE_NOOP(
    "Reason", "--cluster needs Ray, which is not installed; pip install -e \".[cluster]\" adds it")
CANNOT_CONNECT_CLUSTER = QT_TRANSLATE_NOOP("Reason", "cannot connect to the Ray cluster at {address}: {cause}")
TOO_MANY_GPUS_PER_WORKER = QT_TRANSLATE_NOOP(
    "Reason", "--gpus-per-worker {gpus_per_worker} asks for more GPUs than the cluster has ({gpus})")
WORKERS_NEED_MORE_GPUS = QT_TRANSLATE_NOOP(
    "Reason", "{workers} workers of {gpus_per_worker} GPU(s) need more GPUs than the cluster has ({gpus})")
WORKERS_NEED_A_CORE_EACH = QT_TRANSLATE_NOOP("Reason", "{workers} workers need a CPU core each; the cluster has {cpus}")
WORKER_CANNOT_SEE_INPUT = QT_TRANSLATE_NOOP(
    "Reason", "worker {host} cannot see the input folder {folder}; put the photos on storage every worker mounts "
    "at the same path")
WORKER_CANNOT_SEE_OUTPUT = QT_TRANSLATE_NOOP(
    "Reason", "worker {host} cannot see the output folder {folder}; put it on storage every worker mounts at the "
    "same path")
WORKER_CANNOT_START = QT_TRANSLATE_NOOP("Reason", "a worker on {host} cannot start: {cause}")
WORKERS_DIED = QT_TRANSLATE_NOOP(
    "Reason", "{count} workers died while deblurring it (out of memory, or the file crashes a decoder)")
CLUSTER_RUN_STOPPED = QT_TRANSLATE_NOOP("Reason", "the cluster run stopped: {cause}")
CLUSTER_SCAN_STOPPED = QT_TRANSLATE_NOOP("Reason", "the cluster scan stopped: {cause}")

# -- weights (weights.store)
WEIGHTS_FILE_NOT_FOUND = FILE_NOT_FOUND
WEIGHTS_IS_A_FOLDER = QT_TRANSLATE_NOOP("Reason", "is a folder")
WEIGHTS_NOT_A_REGULAR_FILE = QT_TRANSLATE_NOOP("Reason", "is a device, pipe or socket, not a weights file")
WEIGHTS_FILE_TOO_LARGE = QT_TRANSLATE_NOOP("Reason", "the file is {size}, too large for weights (at most {limit})")
NOT_A_WEIGHTS_FILE = QT_TRANSLATE_NOOP(
    "Reason", "not a weights file (expected .pkl, .pth, .pt, .safetensors or a .zip holding one)")
SHIPS_WITH_THE_APP = QT_TRANSLATE_NOOP("Reason", "ships with the app and cannot be removed")
CANNOT_REMOVE = QT_TRANSLATE_NOOP("Reason", "cannot remove it ({cause})")
NO_SPACE_FOR_DOWNLOAD = QT_TRANSLATE_NOOP("Reason", "not enough free space in {folder} ({free} free, {needed} needed)")
DOWNLOAD_FAILED = QT_TRANSLATE_NOOP("Reason", "the download failed ({cause})")
SERVER_ANSWERED = QT_TRANSLATE_NOOP("Reason", "{server} answered HTTP {status}")
SERVER_TOO_SLOW = QT_TRANSLATE_NOOP("Reason", "{server} did not answer in time (no network?)")
CANNOT_CONNECT = QT_TRANSLATE_NOOP("Reason", "cannot connect to {server} (no network?)")
SENT_NO_FILE = QT_TRANSLATE_NOOP("Reason", "{server} sent no file")
DISK_FULL = QT_TRANSLATE_NOOP("Reason", "the disk holding {folder} is full")
CANNOT_CREATE_WEIGHTS_FOLDER = QT_TRANSLATE_NOOP("Reason", "could not create the weights folder {folder} ({cause})")
NO_PUBLISHED_WEIGHTS = QT_TRANSLATE_NOOP("Reason", "its authors publish no weights to download")
DOWNLOAD_IN_A_BROWSER = QT_TRANSLATE_NOOP(
    "Reason", "download it in a browser from {link}, then use Install from file (deblur-app weights install FILE)")
ALREADY_INSTALLED_AT = QT_TRANSLATE_NOOP("Reason", "already installed at {destination}")
ALREADY_INSTALLED_REPLACE = QT_TRANSLATE_NOOP(
    "Reason", "{name} weights are already installed at {destination} (replace them with --overwrite)")
APPEARED_MEANWHILE = QT_TRANSLATE_NOOP("Reason", "{destination} appeared meanwhile; nothing was replaced")
DRIVE_REFUSED = QT_TRANSLATE_NOOP(
    "Reason", "Google Drive did not hand out the file (its download quota may be exceeded, or the link needs a browser)")
WEB_PAGE_NOT_WEIGHTS = QT_TRANSLATE_NOOP(
    "Reason", "received a web page instead of the weights (Google Drive shows one when its download quota "
    "is exceeded or it wants a sign-in)")
ZIP_HOLDS_NO_WEIGHTS = QT_TRANSLATE_NOOP("Reason", "the zip holds no weights file (.pkl, .pth, .pt or .safetensors)")
ZIP_HOLDS_SEVERAL = QT_TRANSLATE_NOOP("Reason", "the zip holds several weights files ({files}); unpack it and install one")
ZIP_MEMBER_TOO_LARGE = QT_TRANSLATE_NOOP("Reason", "{member} in the zip is {size}, too large for weights")
DAMAGED_ZIP = QT_TRANSLATE_NOOP("Reason", "a damaged zip ({cause})")
# a zip member refused (when unpacked, or read as weights): "weights.zip: release/model.pth in the zip: <reason>"
ZIP_MEMBER_REFUSED = QT_TRANSLATE_NOOP("Reason", "{member} in the zip: {reason}")
SEVERAL_INSTALLED = QT_TRANSLATE_NOOP("Reason", "several files are installed ({files}); name the one to remove")
NO_SUCH_WEIGHTS = QT_TRANSLATE_NOOP("Reason", "no such installed weights (see `deblur-app weights list`)")
# what an install says beside "installed" (weights.store.install_notes): the command line and the Weights window
HOLDS_UNPUBLISHED_CONFIG = QT_TRANSLATE_NOOP(
    "Reason", "the file holds {network}, not the configuration its authors published: {model} runs that network")
TAKEN_FOR_FIRST_ALIKE = QT_TRANSLATE_NOOP(
    "Reason", "taken for {model}'s weights by default: {other}'s have the same shapes and its name is neither's")
TAKEN_FOR_FIRST_ALIKE_RENAME = QT_TRANSLATE_NOOP(
    "Reason", "taken for {model}'s weights by default: {other}'s have the same shapes and its name is neither's; "
    "if it holds those, install it as {file} and remove this one (deblur-app weights remove {installed})")
# an OS error while copying, unpacking or putting a weights file in place ({path}: the file or folder it names)
CANNOT_READ_OR_WRITE = QT_TRANSLATE_NOOP("Reason", "cannot read or write {path} ({cause})")
# a release folder on Google Drive (weights.catalog.pick_from_folder) in which this variant's file is not clear
UNCLEAR_FOLDER_FILE = QT_TRANSLATE_NOOP("Reason", "the folder {link} holds {listed}; which one is {wanted} is not clear")
NO_WEIGHTS_FILES = QT_TRANSLATE_NOOP("Reason", "no weights files")
A_FILE_NAMED_LIKE = QT_TRANSLATE_NOOP("Reason", "a file named like '{hint}'")

# -- reading a weights file (model.checkpoints; "<file>: " in front)
CHECKPOINT_IS_A_FOLDER = QT_TRANSLATE_NOOP("Reason", "is a folder, not a weights file")
CHECKPOINT_EMPTY = QT_TRANSLATE_NOOP("Reason", "the file is empty")
NOT_READABLE_SAFETENSORS = QT_TRANSLATE_NOOP("Reason", "not a readable safetensors file ({cause})")
REFUSED_PYTHON_OBJECTS = QT_TRANSLATE_NOOP(
    "Reason", "refused: the file contains Python objects other than tensors "
    "(a checkpoint should hold weights only; it was not executed)")
NOT_A_PYTORCH_CHECKPOINT = QT_TRANSLATE_NOOP("Reason", "not a PyTorch checkpoint ({cause})")
# a file recognisably of another kind (model/filekinds.py): "photo.zip: not a weights file but a PNG image"
ANOTHER_KIND_OF_FILE = QT_TRANSLATE_NOOP("Reason", "not a weights file but {kind}")
KIND_IMAGE = QT_TRANSLATE_NOOP("Reason", "a {format} image")
KIND_WEB_PAGE = QT_TRANSLATE_NOOP("Reason", "a web page (HTML)")
KIND_ZIP_WITHOUT_CHECKPOINT = QT_TRANSLATE_NOOP("Reason", "a zip archive that holds no PyTorch checkpoint")
KIND_TEXT = QT_TRANSLATE_NOOP("Reason", "a text file")
UNSAFE_PICKLE_PROTOCOL = QT_TRANSLATE_NOOP(
    "Reason", "refused: a pickle of protocol {protocol}, which PyTorch's safe loader (weights only) cannot read; it "
    "was not executed (save the weights with torch.save's defaults or as .safetensors)")
TRUNCATED_CHECKPOINT = QT_TRANSLATE_NOOP("Reason", "truncated or corrupt file ({cause})")
CANNOT_READ_CHECKPOINT = QT_TRANSLATE_NOOP("Reason", "cannot read checkpoint ({cause})")
LEGACY_TAR_CHECKPOINT = QT_TRANSLATE_NOOP(
    "Reason", "not a checkpoint this app can read safely (PyTorch's old .tar format, or a file of zeros)")
NO_STATE_DICT = QT_TRANSLATE_NOOP("Reason", "not a checkpoint (no state dict of tensors inside)")
ENTRY_NOT_A_TENSOR = QT_TRANSLATE_NOOP("Reason", "not a checkpoint (entry {key} is not a tensor)")
SUPER_RESOLUTION_MODEL = QT_TRANSLATE_NOOP(
    "Reason", "a super-resolution model (it enlarges images; this app restores them at their own size, keys e.g. {keys})")
UNKNOWN_NETWORK = QT_TRANSLATE_NOOP("Reason", "not weights of a network this app knows ({known}); keys e.g. {keys}")
INCOMPLETE_WEIGHTS = QT_TRANSLATE_NOOP("Reason", "incomplete {network} weights ({cause} missing)")
DUAL_PIXEL_WEIGHTS = QT_TRANSLATE_NOOP(
    "Reason", "dual-pixel defocus weights: they read the two dual-pixel views of a camera's raw capture, not a photo")
UNUSABLE_CONFIGURATION = QT_TRANSLATE_NOOP("Reason", "not a usable {network} configuration ({cause})")
NOT_A_NETWORK_CHECKPOINT = QT_TRANSLATE_NOOP("Reason", "not a {network} checkpoint: {problems}")
NON_FINITE_WEIGHTS = QT_TRANSLATE_NOOP(
    "Reason", "unusable weights: {key} holds NaN or infinite values (every result would be black)")
MISSING_KEYS = QT_TRANSLATE_NOOP("Reason", "{count} missing keys (e.g. {keys})")
UNEXPECTED_KEYS = QT_TRANSLATE_NOOP("Reason", "{count} unexpected keys (e.g. {keys})")
WRONG_SHAPE = QT_TRANSLATE_NOOP("Reason", "wrong shape for {key}: {found} in the file, {expected} expected by {network}")
HOLDS_OTHER_WEIGHTS = QT_TRANSLATE_NOOP("Reason", "holds {held} weights but {wanted} was asked for")
UNPUBLISHED_CONFIGURATION = QT_TRANSLATE_NOOP("Reason", "{network} (unpublished configuration)")

# -- no weights for a network (weights.catalog.missing_weights_message: the window's tooltips, the CLI)
NO_WEIGHTS_FOUND = QT_TRANSLATE_NOOP(
    "Reason", "no {network} weights found: {get}, put {published} or {own} into {folders}, "
    "`deblur-app weights install FILE`, or pass --weights PATH")
RUN_WEIGHTS_DOWNLOAD = QT_TRANSLATE_NOOP("Reason", "run `deblur-app weights download {key}` (the paper's release, {file})")
GET_FROM_THE_AUTHORS = QT_TRANSLATE_NOOP("Reason", "get the authors' {file} from {url}")
# the same where the authors' README names no file (FFTformer RealBlur: one file in a Drive folder): no file name to
# put anywhere, so only ours is said (it had said "fftformer-realblur.published", a name no release uses)
NO_WEIGHTS_FOUND_UNNAMED = QT_TRANSLATE_NOOP(
    "Reason", "no {network} weights found: {get}, put {own} into {folders}, "
    "`deblur-app weights install FILE`, or pass --weights PATH")
RUN_WEIGHTS_DOWNLOAD_UNNAMED = QT_TRANSLATE_NOOP("Reason", "run `deblur-app weights download {key}` (the paper's release)")
GET_FROM_THE_AUTHORS_UNNAMED = QT_TRANSLATE_NOOP("Reason", "get the authors' weights from {url}")

# -- where weights came from (weights.catalog.describe: "<kind>: <text>", then notes)
PROVENANCE_PUBLISHED = QT_TRANSLATE_NOOP(
    "Reason", "published: the paper's weights: downloaded from the authors' release (research use, trained on GoPro)")
PROVENANCE_USER = QT_TRANSLATE_NOOP("Reason", "user: installed by you")
PROVENANCE_STARTER = QT_TRANSLATE_NOOP(
    "Reason", "starter: this project's starter weights: weak on real photos (see weights/README.md)")
FROM_A_MIRROR = QT_TRANSLATE_NOOP("Reason", "downloaded from {source}, not from the authors' release")
INSTALLED_FROM = QT_TRANSLATE_NOOP("Reason", "installed from {source}")
VALIDATION_PSNR = QT_TRANSLATE_NOOP("Reason", "validation {psnr} dB")
UNREADABLE_WEIGHTS = QT_TRANSLATE_NOOP("Reason", "unreadable: {cause}")

# -- the device, precision and backend asked for (engine.devices)
NO_CUDA = QT_TRANSLATE_NOOP("Reason", "CUDA was asked for but no CUDA GPU is available to this PyTorch build")
NO_MPS = QT_TRANSLATE_NOOP("Reason", "Apple MPS was asked for but is not available on this machine")
UNKNOWN_DEVICE = QT_TRANSLATE_NOOP("Reason", "unknown device {name}; choose one of {choices}")
UNKNOWN_PRECISION = QT_TRANSLATE_NOOP("Reason", "unknown precision {name}; choose one of {choices}")
NO_FP16_ON_CPU = QT_TRANSLATE_NOOP("Reason", "fp16 is not supported on the CPU; use bf16 or fp32")
INT8_CPU_ONLY = QT_TRANSLATE_NOOP("Reason", "int8 runs on the CPU only (with OpenVINO); use --device cpu")
UNKNOWN_BACKEND = QT_TRANSLATE_NOOP("Reason", "unknown backend {name}; choose one of {choices}")
OPENVINO_CPU_ONLY = QT_TRANSLATE_NOOP(
    "Reason", "the OpenVINO backend runs on the CPU only; use --device cpu or --backend torch")
OPENVINO_NOT_INSTALLED = QT_TRANSLATE_NOOP(
    "Reason", "OpenVINO was asked for but is not installed (pip install deblur-app[openvino])")

# -- deblurring (engine.inference)
OUT_OF_MEMORY_EVEN_SMALL_TILES = QT_TRANSLATE_NOOP("Reason", "out of memory on {device} even with {tile}-pixel tiles")
SMALLER_TILES = QT_TRANSLATE_NOOP("Reason", "out of memory with {tile}-pixel tiles; continuing with {smaller}")
TORCH_FOR_THIS_PHOTO = QT_TRANSLATE_NOOP(
    "Reason", "this photo ran in torch: with OpenVINO's copies of {network}'s weights no tile fits within {gigabytes} GB")
OPENVINO_UNAVAILABLE = QT_TRANSLATE_NOOP("Reason", "OpenVINO unavailable, using torch: {cause}")
INT8_UNAVAILABLE = QT_TRANSLATE_NOOP("Reason", "int8 unavailable ({cause})")
RUNNING_INSTEAD = QT_TRANSLATE_NOOP("Reason", "running {precision} instead")
# why OpenVINO or its int8 model cannot run (engine.openvino_backend: the {cause} of the notes above)
ONNX_EXPORT_FAILED = QT_TRANSLATE_NOOP("Reason", "could not export the network to ONNX ({cause})")
# ... its {cause} where the export's own process (engine.export_process) ended without a result
EXPORT_PROCESS_KILLED = QT_TRANSLATE_NOOP("Reason", "its process was killed ({signal})")
EXPORT_PROCESS_KILLED_OUT_OF_MEMORY = QT_TRANSLATE_NOOP(
    "Reason", "its process was killed ({signal}), perhaps out of memory")
EXPORT_PROCESS_ENDED = QT_TRANSLATE_NOOP("Reason", "its process ended with exit code {code} before it finished")
OPENVINO_FLOAT_TYPES = QT_TRANSLATE_NOOP("Reason", "OpenVINO on the CPU runs fp32 or bf16, not {dtype}")
OPENVINO_IMPORT_FAILED = QT_TRANSLATE_NOOP("Reason", "OpenVINO is not installed ({cause})")
CANNOT_USE_CACHE_FOLDER = QT_TRANSLATE_NOOP("Reason", "cannot use the cache folder {folder} ({cause})")
OPENVINO_WITHOUT_CACHE = QT_TRANSLATE_NOOP(
    "Reason", "OpenVINO runs without a cache: it prepares the network again each time the app starts")
NO_INT8_PATH = QT_TRANSLATE_NOOP("Reason", "{network} has no int8 path")
NNCF_IMPORT_FAILED = QT_TRANSLATE_NOOP("Reason", "NNCF is not installed ({cause})")
INT8_NEEDS_NNCF = QT_TRANSLATE_NOOP("Reason", "int8 needs NNCF, which is not installed")
QUANTISATION_FAILED = QT_TRANSLATE_NOOP("Reason", "the int8 quantisation failed ({cause})")
UNUSABLE_CALIBRATION_FILE = QT_TRANSLATE_NOOP("Reason", "no usable int8 calibration file {path} ({cause})")
MALFORMED_CALIBRATION_CROPS = QT_TRANSLATE_NOOP("Reason", "expected (N, H, W, 3) uint8 crops, got {found}")
NO_CALIBRATION_FILE = QT_TRANSLATE_NOOP("Reason", "no int8 calibration file {path} ({cause})")
CANNOT_CACHE_INT8 = QT_TRANSLATE_NOOP("Reason", "cannot cache the int8 model in {folder} ({cause})")
WEIGHTS_FILE_CHANGED = QT_TRANSLATE_NOOP("Reason", "the weights file changed while in use, open it again ({cause})")
OTHER_WEIGHTS_NOW = QT_TRANSLATE_NOOP("Reason", "it holds other weights now")
NO_EXPORT_SERVES = QT_TRANSLATE_NOOP(
    "Reason", "{width}x{height} pixels ran in torch float32: no OpenVINO export of {network} serves that size")

# -- why a precision runs (engine.devices: the device tooltip)
FP32_ASKED = QT_TRANSLATE_NOOP("Reason", "float32 was asked for")
BF16_ASKED = QT_TRANSLATE_NOOP("Reason", "bf16 was asked for")
FP16_ASKED = QT_TRANSLATE_NOOP("Reason", "fp16 was asked for")
INT8_ASKED = QT_TRANSLATE_NOOP("Reason", "int8 was asked for")
FP16_ON_CUDA = QT_TRANSLATE_NOOP("Reason", "fp16 on CUDA")
FP32_ON = QT_TRANSLATE_NOOP("Reason", "float32 on {device}")
NATIVE_BF16 = QT_TRANSLATE_NOOP("Reason", "the CPU computes bf16 natively ({features})")
NO_NATIVE_BF16 = QT_TRANSLATE_NOOP("Reason", "the CPU has no native bf16")
INT8_NEEDS_OPENVINO = QT_TRANSLATE_NOOP("Reason", "int8 needs OpenVINO")
INT8_NOT_MEASURED = QT_TRANSLATE_NOOP("Reason", "int8 has not been measured for these weights")
PATH_VERDICT = QT_TRANSLATE_NOOP(
    "Reason", "{precision} agrees with float32 at {agreement} dB on the worst of {photos} check photo(s){worst}, "
    "is {pixel_error} off at the 99.9th percentile of the pixels of the worst{pixel_worst} and changes the "
    "validation PSNR by {change} dB (needs >= {min_agreement} dB and at most {max_pixel_error} off on each of at "
    "least {min_photos} photos, and a loss <= {max_loss} dB)")
BF16_NOT_MEASURED = QT_TRANSLATE_NOOP(
    "Reason", "bf16 has not been measured with these weights yet (checked once, in the background)")
FASTEST_PATH = QT_TRANSLATE_NOOP("Reason", "the fastest path that keeps the picture on this CPU ({timings})")
MEASURED_ON = QT_TRANSLATE_NOOP("Reason", "measured on a {frame} frame: {timings}")
FP32_FOR_NETWORK = QT_TRANSLATE_NOOP("Reason", "float32: {note}")
INT8_NEEDS_BACKEND = QT_TRANSLATE_NOOP("Reason", "int8 needs the OpenVINO backend, which is not in use")

# -- why a network runs float32 (model.registry: Architecture.fp32_note)
NAFNET_FP32_NOTE = QT_TRANSLATE_NOOP(
    "Reason", "NAFNet's int8 and bf16 run only with weights measured to keep the picture")
FFTFORMER_FP32_NOTE = QT_TRANSLATE_NOOP(
    "Reason", "bf16 and int8 are not measured against float32 with FFTformer's trained weights (with test "
    "weights OpenVINO bf16 agreed only 39 dB with float32, below the 45 dB rule)")
RESTORMER_FP32_NOTE = QT_TRANSLATE_NOOP(
    "Reason", "Restormer runs in float32 (OpenVINO computes torch's float32 function): bf16 and int8 are not "
    "measured against float32 with its weights")
OPENVINO_DOES_NOT_RUN = QT_TRANSLATE_NOOP("Reason", "the OpenVINO backend does not run {network}: {note}")
INT8_DOES_NOT_RUN = QT_TRANSLATE_NOOP("Reason", "int8 does not run {network}: {note}")


class Reason(str):
    """A reason as the core gives it: its English (the str itself, exactly what the command line prints),
    and what it was made of: the template (of the catalogue above, or a layout below) and what fills
    its fields: Reasons, or the text of anything else (a path, a number, an OS error), so that a Reason
    holds no live objects and crosses processes as it is. That text is written as one_line_name writes a
    file's name, whatever field it fills: a reason is one line, and shows no invisible character.

    A str, so that whatever takes a reason as text (a log line, a JSON file, ``in``, a test) goes on
    working; whatever needs the structure (the window's translation) checks ``isinstance(x, Reason)``.
    A new string made from one (``f"{path}: {reason}"``, ``reason + "."``) is plain English again: put
    reasons together with ``about`` and ``joined`` instead.
    """

    template: str
    fields: tuple[tuple[str, object], ...]

    def __new__(cls, template: str, fields: tuple[tuple[str, object], ...] = ()) -> Reason:
        # the templates have no format specs: str(value) is exactly what format() would have written; a field
        # that is text (a path, a zip member's name, an OS error) is written on one line, shown (one_line_name)
        fields = tuple((name, value if isinstance(value, Reason) else one_line_name(value)) for name, value in fields)
        made = super().__new__(cls, template.format(**dict(fields)))
        made.template, made.fields = template, fields
        return made

    def __reduce__(self):  # pickled (a cluster worker, a process pool) as what it is made of
        return Reason, (self.template, self.fields)

    def __repr__(self) -> str:
        return f"Reason({self.template!r}, {self.fields!r})"


ReasonText = Reason | str  # a reason of the core, or text that came from outside the catalogue

# How reasons are put together: layouts, not catalogue entries (nothing in them to translate)
_ABOUT_LAYOUT = "{subject}: {reason}"  # "photo.jpg: file not found"
JOIN = "; "  # "int8 unavailable (...); running bf16 instead"


def is_link_loop(path: object) -> bool:
    """Whether ``path`` is a symbolic link that leads back to itself (directly or through others): the one decision
    the photos, the outputs and the weights files take (not_found_template, imagefiles.not_a_file_reason)."""
    try:
        os.stat(path)
    except OSError as error:
        return error.errno == errno.ELOOP
    except (TypeError, ValueError):
        return False
    return False


def not_found_template(path: object) -> str:
    """The reason a path that reaches no file gives: FILE_NOT_FOUND, or SYMBOLIC_LINK_LOOP for a link loop ("file not
    found" sent the user looking for a file that `ls` lists)."""
    return SYMBOLIC_LINK_LOOP if is_link_loop(path) else FILE_NOT_FOUND


def reason(template: str, **fields: object) -> Reason:
    """``template`` with its fields: ``reason(CANNOT_READ, cause="disk error")``."""
    return Reason(template, tuple(fields.items()))


def file_name(path: object) -> str:
    """The last part of a file's path, as one_line_name writes it: how the window and the progress line name a photo."""
    text = os.fsdecode(path) if isinstance(path, bytes) else os.fspath(path) if isinstance(path, os.PathLike) \
        else str(path)
    return one_line_name(os.path.basename(text.rstrip(os.sep)) or text)


# what no name shows as it is: controls (C0, DEL, C1), format characters (bidi overrides and isolates,
# zero-width spaces, the soft hyphen, BOM, tags), the line and paragraph separators, lone surrogates
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner: part of emoji sequences and of some scripts
# a subdivision flag (England, Scotland, Wales): a black flag, tag letters, a cancel tag
_FLAG_SEQUENCE = re.compile("\U0001F3F4[\U000E0020-\U000E007E]{1,32}\U000E007F")
_NAMED_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def one_line_name(name: object) -> str:
    """A file's name (or any subject) as every line of ours writes it, the command line's and the window's:
    each character that is no visible text becomes a visible escape, as Python writes it ("\\n", "\\t",
    "\\x1b", "\\u202e"). A newline would split a line that scripts read one per file ("<file>: <reason>",
    "<photo> -> <output>"); a terminal runs an escape sequence ("x\\x1b[2J.jpg" clears the screen); a bidi
    override shows "x\\u202egpj.exe" as "xexe.jpg"; a zero-width space or a soft hyphen makes two names look
    the same. Escaped, the user sees the name the file really has. Undecodable bytes (surrogates) become
    \\udcXX escapes instead of crashing a print(). Everything else stays as it is: letters of any script,
    accents, emoji (their joiners and flag tags too), spaces."""
    text = os.fsdecode(name) if isinstance(name, bytes) else os.fspath(name) if isinstance(name, os.PathLike) \
        else str(name)
    if text.isprintable():  # the common case, at C speed
        return text
    kept = {index for flag in _FLAG_SEQUENCE.finditer(text) for index in range(flag.start(), flag.end())}
    return "".join(char if index in kept or _visible(char) or _joins_two_letters(text, index) else _escaped(char)
                   for index, char in enumerate(text))


def _visible(char: str) -> bool:
    return unicodedata.category(char) not in _UNSEEN_CATEGORIES


def _joins_two_letters(text: str, index: int) -> bool:
    """A joiner between two visible characters beyond ASCII (an emoji sequence, a Persian or Indic word)
    is part of them; anywhere else (beside ASCII, a space, the name's ends) it only hides itself."""
    if text[index] not in _JOINERS or not 0 < index < len(text) - 1:
        return False
    return all(ord(near) > 127 and _visible(near) and not near.isspace() for near in (text[index - 1], text[index + 1]))


def _escaped(char: str) -> str:
    code = ord(char)
    return _NAMED_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                                        else f"\\U{code:08x}")


def about(subject: object, said: ReasonText) -> Reason:
    """``said`` about a file or a network: "<subject>: <reason>" (the subject is never translated, and is
    written on one line, as every field: one_line_name)."""
    return Reason(_ABOUT_LAYOUT, (("subject", subject), ("reason", said)))


def joined(*parts: ReasonText) -> ReasonText:
    """Several reasons in one line, "; " between them, each translated on its own (one: itself)."""
    if len(parts) == 1:
        return parts[0]
    layout = JOIN.join(f"{{part{index}}}" for index in range(len(parts)))
    return Reason(layout, tuple((f"part{index}", part) for index, part in enumerate(parts)))


def without_subject(said: ReasonText, subject: object) -> ReasonText:
    """``said`` without its "<subject>: " in front, for a caller that names the subject itself."""
    subject = subject if isinstance(subject, Reason) else one_line_name(subject)  # as ``about`` wrote it
    if not isinstance(said, Reason):
        return said.removeprefix(f"{subject}: ")
    fields = dict(said.fields)
    if said.template == _ABOUT_LAYOUT and str(fields["subject"]) == str(subject):
        return fields["reason"]
    return said


def of(error: BaseException) -> ReasonText:
    """The Reason an error of the core was raised with; any other error's text."""
    given = error.args[0] if error.args else None
    if isinstance(given, Reason) and str(given) == str(error):
        return given
    return str(error)


def first_line(error: BaseException, limit: int | None = 200) -> str:
    """The first line of an error from outside our code (a library's, the OS's), for a ``{cause}`` field:
    at most ``limit`` characters, the error's type where it has no text."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:limit]


def one_line(said: ReasonText, limit: int | None = None) -> ReasonText:
    """``said`` on one line of at most ``limit`` characters: the Reason itself when it already is
    (so its structure goes on to the window), else the text made so."""
    text = " ".join(str(said).split())[:limit]
    return said if isinstance(said, Reason) and text == str(said) else text


def catalogue() -> tuple[str, ...]:
    """Every template, longest first (a longer template is the more specific match)."""
    found = {value for name, value in globals().items() if name.isupper() and isinstance(value, str)
             and name not in ("CONTEXT", "JOIN") and not name.startswith("_")}
    return tuple(sorted(found, key=len, reverse=True))


def as_plain(said: ReasonText) -> object:
    """A reason as JSON's plain data: its template and fields (the window translates it), plain text as itself."""
    if isinstance(said, Reason):
        return {"template": said.template, "fields": [[name, as_plain(value)] for name, value in said.fields]}
    return str(said)


def from_plain(data: object) -> ReasonText:
    """The reason as_plain wrote (KeyError, TypeError, ValueError for anything else)."""
    if isinstance(data, str):
        return data
    return Reason(str(data["template"]), tuple((str(name), from_plain(value)) for name, value in data["fields"]))

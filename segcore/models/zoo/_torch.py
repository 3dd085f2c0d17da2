"""What the torch families share (not a family file: its name starts with ``_``): the
preprocessing preset, ImageNet backbone weights and the builder of a TorchSegmenter."""

from __future__ import annotations

from ...errors import ModelError
from ..registry import SEGMENT, Weights

__all__ = ["preset", "build_torch", "backbone", "TORCH_ONLY"]

#: Entries torch runs even on a CPU (PSPNet's adaptive pooling over a dynamic size does not export).
TORCH_ONLY: set[str] = set()


def preset(**kw):
    """torchvision's semantic segmentation preset (resize, ImageNet mean and std), built lazily."""
    from torchvision.transforms._presets import SemanticSegmentation

    return SemanticSegmentation(**{"resize_size": 520, **kw})


def _resnet18_keys(k: str):
    head = k.split(".", 1)[0]
    if head == "fc":
        return None
    idx = {"conv1": 0, "bn1": 1, "layer1": 4, "layer2": 5, "layer3": 6, "layer4": 7}.get(head)
    return None if idx is None else f"backbone.{idx}.{k.split('.', 1)[1]}"


def _torchvision_keys(k: str):
    return None if k.startswith(("fc.", "classifier.")) else f"backbone.{k}"


def _smp_keys(k: str):   # smp's ResNet encoders are torchvision's ResNet without fc
    return None if k.startswith("fc.") else f"model.encoder.{k}"


_RESNETS = {"resnet18": "resnet18-f37072fd.pth", "resnet34": "resnet34-b627a593.pth",
            "resnet50": "resnet50-0676ba61.pth", "resnet101": "resnet101-63fe2227.pth"}
_REMAPS = {"fcn_resnet18": _resnet18_keys, "torchvision": _torchvision_keys, "smp": _smp_keys}


def backbone(resnet: str, remap: str) -> Weights:
    """ImageNet weights of torchvision's ``resnet`` classifier, as a net's backbone starts from them."""
    file = _RESNETS[resnet]
    return Weights("backbone", file_name=file, url=f"https://download.pytorch.org/models/{file}",
                   check=("sha256-prefix", file.rsplit("-", 1)[1].split(".")[0]), trust_cache=True,
                   remap=_REMAPS[remap])


def build_torch(spec, task, path, *, weights=None, device="cpu", backend=None, **_):
    """A TorchSegmenter. A segcore checkpoint (``segcore train``) brings its own classes and
    input size; a plain state dict loads into the entry's own classes (a head of another
    size is skipped and reported)."""
    from ..onnx_backend import default_backend
    from ..predictor import TorchSegmenter
    from ..trained import spec_for_checkpoint
    from ..weights import load_state, read_checkpoint

    if task != SEGMENT:
        raise ModelError(f"{spec.name} segments a whole image only")
    if spec.name in TORCH_ONLY:
        if backend == "onnxruntime":
            raise ModelError(f"{spec.name} does not export to ONNX (adaptive pooling over a dynamic size); "
                             "use the torch backend")
        backend = "torch"
    backend = backend or default_backend(device)
    if backend == "onnxruntime" and not str(device).startswith("cpu"):
        raise ModelError("the onnxruntime backend runs on the CPU here; use the torch backend on a GPU")
    state, meta = read_checkpoint(path)
    run_spec = spec_for_checkpoint(spec, meta, str(path)) if meta else spec
    k = len(run_spec.label_set)
    net = spec.net(k)
    report = load_state(net, state, source=str(path))
    return TorchSegmenter(run_spec, net, device=device, report=report, binary=spec.single_logit and k == 2,
                          size_divisor=spec.size_divisor, backend=backend, weights_path=path)

"""Runs ONNX's own checker (with shape inference) on every .onnx file in a folder whose opset this onnx knows.

Usage: python3 check_onnx.py FOLDER    -> prints "checked N (onnx X, opsets up to Y)" and one line per failure;
exit status 1 if any file fails. With --max-opset only, prints the newest opset this onnx knows.
"""
import pathlib
import sys

import onnx
import onnx.checker
import onnx.defs

newest = onnx.defs.onnx_opset_version()
if sys.argv[1] == "--max-opset":
    print(newest)
    sys.exit(0)

failures = 0
checked = 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.onnx")):
    model = onnx.load(str(path))
    checked += 1
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # the checker raises ValidationError, shape inference InferenceError
        failures += 1
        print(f"FAILED {path.name}: {error}")
print(f"checked {checked} (onnx {onnx.__version__}, opsets up to {newest}), {failures} failed")
sys.exit(1 if failures else 0)

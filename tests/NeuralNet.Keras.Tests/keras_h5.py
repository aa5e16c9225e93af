"""Writes and reads Keras weights files with h5py (libhdf5), as Keras 3's H5IOStore does, for NeuralNet.Keras' tests.

  keras_h5.py write SPEC.json OUT.h5   SPEC: {"groups": ["layers/dense", ...], "datasets": {"layers/dense/vars/0":
                                        {"shape": [2, 3], "dtype": "float32", "values": [...]}}}
                                        Groups are made as H5Entry makes them (the path, then its "vars"); a dataset is
                                        assigned as H5Entry.__setitem__ assigns it: group[key] = numpy array.
  keras_h5.py dump FILE.h5             Prints {"groups": [...], "datasets": {path: {"shape", "dtype", "values"}}}.
"""
import json
import sys

import h5py
import numpy as np


def write(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    with h5py.File(out_path, "w") as h5:
        for path in spec.get("groups", []):
            (h5.require_group(path) if path else h5).require_group("vars")
        for path, item in spec["datasets"].items():
            group_path, key = path.rsplit("/", 1)
            value = np.array(item["values"], dtype=item["dtype"]).reshape(item["shape"])
            h5.require_group(group_path)[key] = value


def dump(path):
    groups, datasets = [], {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            datasets[name] = {"shape": list(obj.shape), "dtype": str(obj.dtype), "values": np.asarray(obj[()]).ravel().tolist()}
        else:
            groups.append(name)

    with h5py.File(path, "r") as h5:
        h5.visititems(visit)
    print(json.dumps({"groups": groups, "datasets": datasets}))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        dump(sys.argv[2])

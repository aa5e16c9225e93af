"""Writes and reads Keras weights files with h5py (libhdf5), as Keras 3's H5IOStore does, for NeuralNet.Keras' tests.

  keras_h5.py write SPEC.json OUT.h5   SPEC: {"groups": ["layers/dense", ...], "datasets": {"layers/dense/vars/0":
                                        {"shape": [2, 3], "dtype": "float32", "values": [...]}}}
                                        Groups are made as H5Entry makes them (the path, then its "vars"); a dataset is
                                        assigned as H5Entry.__setitem__ assigns it: group[key] = numpy array.
                                        Optional "soft_links": {path: target} made after the datasets (h5py.SoftLink).
  keras_h5.py legacy SPEC.json OUT.h5  A Keras 2 file as tf.keras 2.x's save_model_to_hdf5 / save_weights_to_hdf5_group
                                        write it. SPEC: {"attrs": {"model_config": "..."}, "group": "model_weights" or "",
                                        "layers": [{"name": "dense", "weights": [{"name": "dense/kernel:0", "shape", "dtype",
                                        "offset", "count"}]}], "values": "VALUES.bin"}: a weight's values are the count
                                        little-endian float64s from element offset of the values file. layer_names (bytes)
                                        on the group, a group per layer (in name order)
                                        with weight_names (bytes) and its datasets made with create_dataset, then filled.
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
        for path, target in spec.get("soft_links", {}).items():
            group_path, key = path.rsplit("/", 1) if "/" in path else ("/", path)
            h5.require_group(group_path)[key] = h5py.SoftLink(target)


def legacy(spec_path, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    with h5py.File(out_path, "w") as h5:
        for key, value in spec.get("attrs", {}).items():
            h5.attrs[key] = value.encode("utf8")
        group = h5.create_group(spec["group"]) if spec["group"] else h5
        layers = spec["layers"]
        values = np.memmap(spec["values"], dtype="<f8", mode="r") if any(l["weights"] for l in layers) else None
        names = [layer["name"].encode("utf8") for layer in layers]
        if spec.get("split"):
            # As save_attributes_to_hdf5_group splits an attribute over HDF5's header limit: name0, name1, ...
            for chunk_id, chunk in enumerate(np.array_split(np.asarray(names), 2)):
                group.attrs["layer_names%d" % chunk_id] = chunk
        else:
            group.attrs["layer_names"] = names
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = b"2.13.1"
        for layer in sorted(layers, key=lambda x: x["name"]):
            g = group.create_group(layer["name"])
            names = [w["name"].encode("utf8") for w in layer["weights"]]
            g.attrs["weight_names"] = names
            for w in layer["weights"]:
                start = w["offset"]
                value = np.array(values[start:start + w["count"]], dtype=w["dtype"]).reshape(w["shape"])
                dataset = g.create_dataset(w["name"], value.shape, dtype=value.dtype)
                if not value.shape:
                    dataset[()] = value
                else:
                    dataset[:] = value


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
    elif sys.argv[1] == "legacy":
        legacy(sys.argv[2], sys.argv[3])
    else:
        dump(sys.argv[2])

#!/usr/bin/env bash
# Rewrites the "Public types" section of docs/index.md (between the BEGIN/END markers) from the PublicAPI.*.txt files
# of the src projects, so the list of public types is always the tracked public API. Run after
# eng/update-public-api.sh. Usage: bash eng/update-docs-index.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import glob, re

# Namespace -> documentation page. Namespaces not listed here fall back to concepts.md (and are printed).
pages = {
    "NeuralNet": "concepts.md",
    "NeuralNet.Activations": "activations.md",
    "NeuralNet.Applications": "applications.md",
    "NeuralNet.Constraints": "regularizers.md",
    "NeuralNet.Data": "data.md",
    "NeuralNet.Datasets": "datasets.md",
    "NeuralNet.Initializers": "initializers.md",
    "NeuralNet.Layers": "layers.md",
    "NeuralNet.Losses": "losses.md",
    "NeuralNet.Models": "training.md",
    "NeuralNet.Optimizers": "optimizers.md",
    "NeuralNet.Optimizers.Schedules": "optimizers.md",
    "NeuralNet.Plotting": "plotting.md",
    "NeuralNet.Preprocessing": "sequences.md",
    "NeuralNet.Onnx": "onnx.md",
    "NeuralNet.Keras": "keras.md",
    "NeuralNet.Regularizers": "regularizers.md",
    "NeuralNet.Serialization": "serialization.md",
    "NeuralNet.Training": "training.md",
}
# Types documented on another page than their namespace's.
type_pages = {
    f"NeuralNet.Layers.{t}": "convolution.md"
    for t in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Pooling2D", "Padding",
              "BatchNormalization", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "UpSampling2D", "Interpolation",
              "ZeroPadding2D", "Cropping2D", "ZeroPadding1D", "Cropping1D", "UpSampling1D",
              "SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose",
              "Conv3D", "Conv3DTranspose", "Pooling3D", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
              "UpSampling3D", "ZeroPadding3D", "Cropping3D")
}
type_pages["NeuralNet.Layers.ActivityRegularization"] = "regularizers.md"
type_pages["NeuralNet.Parallelism"] = "performance.md"
type_pages.update({f"NeuralNet.Datasets.{t}": "sequences.md" for t in ("Sequences", "SequenceSide")})
type_pages.update({
    f"NeuralNet.Layers.{t}": "functional.md"
    for t in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "Merge",
              "Reshape", "Permute", "RepeatVector", "Identity")
})
type_pages.update({f"NeuralNet.Models.{t}": "functional.md" for t in ("Functional", "Input", "SymbolicTensor", "ModelData")})
type_pages.update({f"NeuralNet.Models.{t}": "plotting.md" for t in ("ModelDiagram", "ModelDiagramOptions")})
type_pages.update({f"NeuralNet.Models.{t}": "sequences.md" for t in ("ModelWarning", "ModelWarningKind")})
type_pages.update({f"NeuralNet.Layers.{t}": "sequences.md" for t in ("Embedding", "ReversibleEmbedding", "Recurrent", "SimpleRnn", "Lstm", "Gru", "Rnn", "RnnCell", "GatedRnnCell", "SimpleRnnCell", "LstmCell", "GruCell", "StackedRnnCells", "ConvLstm", "ConvLstm1D", "ConvLstm2D", "ConvLstm3D", "Conv1D",
                                                                        "Pooling1D", "MaxPooling1D", "AveragePooling1D", "GlobalPooling",
                                                                        "GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling2D",
                                                                         "Masking", "Bidirectional", "BidirectionalMergeMode", "TimeDistributed")})
type_pages.update({f"NeuralNet.Layers.{t}": "attention.md" for t in ("MultiHeadAttention", "GroupedQueryAttention", "Attention", "AdditiveAttention", "AttentionScoreMode",
                                                                         "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
                                                                         "GaussianDropout", "AlphaDropout")})
type_pages.update({f"NeuralNet.Layers.{t}": "augmentation.md"
                   for t in ("Pipeline", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomContrast",
                             "RandomBrightness", "RandomGrayscale", "RandomSaturation", "RandomHue", "RandomColorDegeneration", "RandomInvert", "Solarization", "RandomPosterization", "RandomSharpness", "RandomErasing", "RandomGaussianBlur", "RandomColorJitter", "RandAugment", "AugMix", "MixUp", "CutMix", "AutoContrast", "RandomShear", "RandomPerspective", "RandomElasticTransform", "Equalization", "Resizing", "CenterCrop", "FillMode", "FlipMode")})
type_pages.update({f"NeuralNet.Layers.{t}": "normalization-and-activations.md"
                   for t in ("LayerNormalization", "GroupNormalization", "RMSNormalization", "UnitNormalization", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax")})
type_pages.update({f"NeuralNet.Layers.{t}": "preprocessing.md"
                   for t in ("Normalization", "Rescaling", "CategoryEncoding", "CategoryOutputMode", "Discretization", "IntegerLookup", "Hashing", "HashedCrossing")})
type_pages["NeuralNet.Preprocessing.StringLookup"] = "preprocessing.md"
type_pages.update({f"NeuralNet.Preprocessing.{t}": "preprocessing.md"
                   for t in ("FeatureSpace", "Feature", "FeatureCross", "FeatureColumn", "FeatureSpaceOutputMode")})
type_pages.update({f"NeuralNet.Layers.{t}": "convolution.md"
                   for t in ("AdaptivePooling", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
                             "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D")})
type_pages.update({f"NeuralNet.Datasets.{t}": "data.md" for t in ("BatchDataset", "DataBatch", "DataSource", "DataSourceException", "DataSplit", "TimeseriesDataset")})
types = set()
for path in glob.glob("src/*/PublicAPI*.txt") + glob.glob("src/*/PublicAPI/*/PublicAPI*.txt"):
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        # A type declaration is a bare qualified name: no member signature, value, modifier or removal mark.
        if not line or line.startswith(("#", "*REMOVED*")) or re.search(r"[ (=<]", line):
            continue
        types.add(line)
# Nested types and namespaces look alike; a name is a type when its prefix is not itself a declared type.
by_ns = {}
for t in types:
    ns, _, name = t.rpartition(".")
    while ns in types:                      # nested type: Outer.Inner
        ns, _, outer = ns.rpartition(".")
        name = outer + "." + name
    page = type_pages.get(t) or pages.get(ns)
    if page is None:
        print(f"warning: no page for namespace {ns}; listing it under concepts.md")
        page = "concepts.md"
    by_ns.setdefault((ns, page), []).append(name)
out = ["<!-- BEGIN TYPES (generated by eng/update-docs-index.sh from the PublicAPI files; do not edit) -->", ""]
for ns, page in sorted(by_ns, key=lambda k: (k[0], k[1] != pages.get(k[0]), k[1])):
    out.append(f"- **`{ns}`** ([{page}]({page})): " + ", ".join(f"`{n}`" for n in sorted(by_ns[(ns, page)], key=str.lower)))
out += ["", "<!-- END TYPES -->"]
index = open("docs/index.md", encoding="utf-8").read()
start, end = index.index("<!-- BEGIN TYPES"), index.index("<!-- END TYPES -->") + len("<!-- END TYPES -->")
open("docs/index.md", "w", encoding="utf-8", newline="\n").write(index[:start] + "\n".join(out) + index[end:])
print(f"docs/index.md: {len(types)} public types in {len({ns for ns, _ in by_ns})} namespaces")
PY

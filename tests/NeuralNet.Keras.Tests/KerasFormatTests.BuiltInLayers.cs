using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Every built-in layer type the registry knows is either written as a Keras 3 class (or operation) or refused by SaveModel
/// naming the layer: a new layer cannot reach a .keras file as a keras.layers class Keras does not have.
/// </summary>
public sealed partial class KerasFormatTests
{
    // The layer classes keras/src/layers/__init__.py imports (Keras 3, keras-team/keras at 06e398e5), what
    // "keras.layers.<class_name>" finds when Keras loads a file.
    private static readonly HashSet<string> s_keras3Layers =
    [
        "Activation", "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax",
        "AdditiveAttention", "Attention", "GroupedQueryAttention", "MultiHeadAttention",
        "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
        "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
        "Dense", "EinsumDense", "Embedding", "Identity", "InputLayer", "Lambda", "Masking", "ReversibleEmbedding",
        "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
        "BatchNormalization", "GroupNormalization", "LayerNormalization", "RMSNormalization", "SpectralNormalization", "UnitNormalization",
        "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
        "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
        "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
        "CategoryEncoding", "Discretization", "HashedCrossing", "Hashing",
        "AugMix", "AutoContrast", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization", "CutMix", "Equalization",
        "MaxNumBoundingBoxes", "MixUp", "RandAugment", "RandomBrightness", "RandomColorDegeneration", "RandomColorJitter",
        "RandomContrast", "RandomCrop", "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur",
        "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization", "RandomRotation",
        "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom", "Resizing", "Solarization",
        "IndexLookup", "IntegerLookup", "MelSpectrogram", "Normalization", "Pipeline", "Rescaling", "STFTSpectrogram",
        "StringLookup", "TextVectorization",
        "ActivityRegularization", "AlphaDropout", "Dropout", "GaussianDropout", "GaussianNoise",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
        "Cropping1D", "Cropping2D", "Cropping3D", "Flatten", "Permute", "ReconstructPatches2D", "ReconstructPatches3D",
        "RepeatVector", "Reshape", "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
        "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN",
        "SimpleRNNCell", "StackedRNNCells", "TimeDistributed",
    ];

    // A model around each built-in layer that has no Keras form, with the layer named "odd". A new such layer must be added
    // here (and SaveModel must refuse it), or to one of KerasLayerClasses' lists once checked against Keras' class.
    private static readonly Dictionary<Type, Func<Functional>> s_refusedLayers = new()
    {
        [typeof(DepthToSpace)] = () => Around(new Input(4, 4, 8, name: "x"), new DepthToSpace(2, name: "odd")),
        [typeof(SpaceToDepth)] = () => Around(new Input(4, 4, 1, name: "x"), new SpaceToDepth(2, name: "odd")),
        [typeof(PositionEmbedding)] = () => Around(new Input([null, 4], "x"), new PositionEmbedding(16, name: "odd")),
        [typeof(Take)] = () => AroundTwo(new Input(5, 3, name: "x"), new Input(4, name: "i"), new Take(1, name: "odd")),
        [typeof(SegmentSum)] = () => AroundTwo(new Input(5, 3, name: "x"), new Input(5, name: "i"), new SegmentSum(2, name: "odd")),
        [typeof(SegmentMax)] = () => AroundTwo(new Input(5, 3, name: "x"), new Input(5, name: "i"), new SegmentMax(2, name: "odd")),
    };

    private static Functional Around(Input input, Layer layer) => new(input, layer.Call(input), name: "around", seed: 1);

    private static Functional AroundTwo(Input data, Input indices, Layer layer) => new([data, indices], layer.Call(data, indices), name: "around", seed: 1);

    [Fact]
    public void Every_registered_built_in_layer_is_a_keras_class_an_operation_or_refused_by_SaveModel()
    {
        Type[] registered = [.. typeof(Layer).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract && SerializationRegistry.GetRegisteredName(t) is not null)];
        Assert.True(registered.Length > 100, $"only {registered.Length} registered layer types found");

        var unclassified = new List<string>();
        foreach (Type type in registered)
        {
            string name = SerializationRegistry.GetRegisteredName(type)!;
            if (KerasLayerClasses.KerasLayers.Contains(type))
            {
                Assert.True(s_keras3Layers.Contains(name), $"{type.Name} is written as keras.layers.{name}, which Keras 3 does not have.");
            }
            else if (KerasLayerClasses.ConvNeXtLayers.Contains(type))
            {
                Assert.Contains(name, new[] { "LayerScale", "StochasticDepth" });
            }
            else if (KerasLayerClasses.Operations.Contains(type))
            {
                // Written as a keras.src.ops item (KerasOperationForms), never as a layer class.
                Assert.DoesNotContain(name, s_keras3Layers);
            }
            else if (!s_refusedLayers.ContainsKey(type))
            {
                unclassified.Add($"{type.Name} ({name})");
            }
        }

        Assert.True(unclassified.Count == 0, $"Built-in layers in no KerasLayerClasses list and not refused here: {string.Join(", ", unclassified)}");

        // The lists hold registered built-ins only, and no type twice.
        Type[] listed = [.. KerasLayerClasses.KerasLayers, .. KerasLayerClasses.Operations, .. KerasLayerClasses.ConvNeXtLayers, .. s_refusedLayers.Keys];
        Assert.Equal(listed.Length, listed.Distinct().Count());
        Assert.Empty(listed.Except(registered));
    }

    [Fact]
    public void SaveModel_every_built_in_layer_without_a_keras_class_is_refused_naming_it_and_writes_nothing()
    {
        foreach (var (type, build) in s_refusedLayers)
        {
            Functional model = build();
            string path = Path.Combine(_folder, $"{type.Name}.keras");

            var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

            Assert.Contains($"Layer 'odd' ({type.Name}) ", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was written; save the model with Model.Save instead", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.GetFiles(_folder));
        }
    }

    [Fact]
    public void SaveModel_refuses_a_built_in_layer_without_a_keras_class_inside_a_wrapper()
    {
        // TimeDistributed writes its inner layer's config under "layer": Keras would look the inner class up as well.
        var frames = new Input(new TensorShape(3, 4, 4, 8), "frames");
        var model = new Functional(frames, new TimeDistributed(new DepthToSpace(2, name: "odd")).Call(frames), seed: 1);
        string path = Path.Combine(_folder, "wrapped.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.StartsWith("Layer 'odd' (DepthToSpace) has no Keras layer", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void SaveWeights_every_built_in_layer_without_a_keras_class_is_refused_naming_it_and_leaves_the_file_as_it_was()
    {
        foreach (var (type, build) in s_refusedLayers)
        {
            Functional model = build();
            string path = Path.Combine(_folder, $"{type.Name}.weights.h5");
            File.WriteAllText(path, "an older file");

            var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveWeights(model, path));

            Assert.StartsWith($"Layer 'odd' ({type.Name}) ", error.Message, StringComparison.Ordinal);
            Assert.Contains(".weights.h5", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was written; save the weights with Model.SaveWeights instead", error.Message, StringComparison.Ordinal);
            Assert.Equal("an older file", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(_folder), path);
            File.Delete(path);
        }
    }

    [Fact]
    public void SaveWeights_refuses_a_built_in_layer_without_a_keras_class_inside_a_wrapper_and_when_a_checkpoint_checks_it()
    {
        var frames = new Input(new TensorShape(3, 4, 4, 8), "frames");
        var model = new Functional(frames, new TimeDistributed(new DepthToSpace(2, name: "odd")).Call(frames), seed: 1);
        string path = Path.Combine(_folder, "wrapped.weights.h5");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveWeights(model, path));
        var check = Assert.Throws<NotSupportedException>(() => KerasCheckpointFormat.Instance.CheckModel(model, weightsOnly: true));

        Assert.StartsWith("Layer 'odd' (DepthToSpace) has no Keras layer", error.Message, StringComparison.Ordinal);
        Assert.Equal(error.Message, check.Message);
        Assert.False(File.Exists(path));
    }
}

using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>The dataset paths of Keras 3's weights files, as keras/src/saving/saving_lib.py and naming.py make them.</summary>
public sealed class KerasLayoutTests
{
    [Theory]
    [InlineData("Dense", "dense")]
    [InlineData("Conv2D", "conv2d")]
    [InlineData("Conv2DTranspose", "conv2d_transpose")]
    [InlineData("BatchNormalization", "batch_normalization")]
    [InlineData("LSTM", "lstm")]
    [InlineData("SimpleRNN", "simple_rnn")]
    [InlineData("PReLU", "p_re_lu")]
    [InlineData("SpatialDropout1D", "spatial_dropout1d")]
    [InlineData("MultiHeadAttention", "multi_head_attention")]
    [InlineData("InputLayer", "input_layer")]
    [InlineData("GlobalAveragePooling1D", "global_average_pooling1d")]
    public void ToSnakeCase_ClassName_IsKerasName(string className, string expected) =>
        Assert.Equal(expected, KerasNames.ToSnakeCase(className));

    [Fact]
    public void ContainerNames_RepeatedClasses_AreNumberedByPosition() =>
        Assert.Equal(["input_layer", "dense", "dropout", "dense_1", "dense_2", "dropout_1"],
            KerasNames.ContainerNames(["InputLayer", "Dense", "Dropout", "Dense", "Dense", "Dropout"]));

    [Fact]
    public void Of_FunctionalSequenceModel_GivesKerasPaths()
    {
        Model model = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        var paths = KerasWeightLayout.Of(model).ToDictionary(w => w.TensorName, w => w.Path);
        Assert.Equal(new Dictionary<string, string>
        {
            ["lstm/kernel"] = "layers/lstm/cell/vars/0",
            ["lstm/recurrent_kernel"] = "layers/lstm/cell/vars/1",
            ["lstm/bias"] = "layers/lstm/cell/vars/2",
            ["bidirectional/forward_gru/kernel"] = "layers/bidirectional/forward_layer/cell/vars/0",
            ["bidirectional/forward_gru/recurrent_kernel"] = "layers/bidirectional/forward_layer/cell/vars/1",
            ["bidirectional/forward_gru/bias"] = "layers/bidirectional/forward_layer/cell/vars/2",
            ["bidirectional/backward_gru/kernel"] = "layers/bidirectional/backward_layer/cell/vars/0",
            ["bidirectional/backward_gru/recurrent_kernel"] = "layers/bidirectional/backward_layer/cell/vars/1",
            ["bidirectional/backward_gru/bias"] = "layers/bidirectional/backward_layer/cell/vars/2",
            ["dense/kernel"] = "layers/dense/vars/0",
            ["dense/bias"] = "layers/dense/vars/1",
            ["batch_normalization/gamma"] = "layers/batch_normalization/vars/0",
            ["batch_normalization/beta"] = "layers/batch_normalization/vars/1",
            ["batch_normalization/moving_mean"] = "layers/batch_normalization/vars/2",
            ["batch_normalization/moving_variance"] = "layers/batch_normalization/vars/3",
            ["dense_1/kernel"] = "layers/dense_1/vars/0",
            ["dense_1/bias"] = "layers/dense_1/vars/1",
        }, paths);
    }

    [Fact]
    public void Of_WrappedAttentionConvolutionAndPreprocessingLayers_GivesKerasPaths()
    {
        var ids = new Input(new TensorShape(5), "ids");
        SymbolicTensor x = new Embedding(20, 8).Call(ids);
        x = new MultiHeadAttention(2, 4, useBias: false).Call(x, x);
        x = new TimeDistributed(new Dense(6)).Call(x);
        x = new Normalization(mean: null).Call(x);
        x = new Reshape(5, 6, 1).Call(x);
        x = new Conv2D(3, 2).Call(x);
        x = new SeparableConv2D(2, 2).Call(x);
        x = new PReLU().Call(x);
        x = new Flatten().Call(x);
        var model = new Functional(ids, new Dense(2, useBias: false).Call(x));
        var layout = KerasWeightLayout.Of(model);
        Assert.Equal(
            [
                ("embedding/embeddings", "layers/embedding/vars/0"),
                ("multi_head_attention/query/kernel", "layers/multi_head_attention/query_dense/vars/0"),
                ("multi_head_attention/key/kernel", "layers/multi_head_attention/key_dense/vars/0"),
                ("multi_head_attention/value/kernel", "layers/multi_head_attention/value_dense/vars/0"),
                ("multi_head_attention/attention_output/kernel", "layers/multi_head_attention/output_dense/vars/0"),
                ("time_distributed/dense/kernel", "layers/time_distributed/layer/vars/0"),
                ("time_distributed/dense/bias", "layers/time_distributed/layer/vars/1"),
                ("normalization/mean", "layers/normalization/vars/0"),
                ("normalization/variance", "layers/normalization/vars/1"),
                ("normalization/count", "layers/normalization/vars/2"),
                ("conv2d/kernel", "layers/conv2d/vars/0"),
                ("conv2d/bias", "layers/conv2d/vars/1"),
                ("separable_conv2d/depthwise_kernel", "layers/separable_conv2d/vars/0"),
                ("separable_conv2d/pointwise_kernel", "layers/separable_conv2d/vars/1"),
                ("separable_conv2d/bias", "layers/separable_conv2d/vars/2"),
                ("p_re_lu/alpha", "layers/p_re_lu/vars/0"),
                ("dense/kernel", "layers/dense/vars/0"),
            ],
            layout.Select(w => (w.TensorName, w.Path)));
        Assert.Equal(["normalization/count"], layout.Where(w => w.IsInteger).Select(w => w.TensorName));
    }

    [Fact]
    public void Of_GroupedQueryAttention_UsesKerasProjectionPaths()
    {
        // Keras' GroupedQueryAttention keeps its EinsumDense projections under the same attributes as MultiHeadAttention.
        var x = new Input(new TensorShape(5, 8), "x");
        var model = new Functional(x, new GroupedQueryAttention(2, 4, 2).Call(x, x));
        Assert.Equal(
            [
                ("grouped_query_attention/query/kernel", "layers/grouped_query_attention/query_dense/vars/0"),
                ("grouped_query_attention/query/bias", "layers/grouped_query_attention/query_dense/vars/1"),
                ("grouped_query_attention/key/kernel", "layers/grouped_query_attention/key_dense/vars/0"),
                ("grouped_query_attention/key/bias", "layers/grouped_query_attention/key_dense/vars/1"),
                ("grouped_query_attention/value/kernel", "layers/grouped_query_attention/value_dense/vars/0"),
                ("grouped_query_attention/value/bias", "layers/grouped_query_attention/value_dense/vars/1"),
                ("grouped_query_attention/attention_output/kernel", "layers/grouped_query_attention/output_dense/vars/0"),
                ("grouped_query_attention/attention_output/bias", "layers/grouped_query_attention/output_dense/vars/1"),
            ],
            KerasWeightLayout.Of(model).Select(w => (w.TensorName, w.Path)));
    }

    [Fact]
    public void Of_BranchesOfOneClass_AreNumberedInKerasLayerOrder()
    {
        // Keras orders a functional model's layers by decreasing depth, ties in discovery order (function.py
        // map_graph): for concat([a(x), c(b(x))]) that is x, b, a, c, concat, so b is "dense", a "dense_1", c "dense_2".
        var x = new Input(new TensorShape(3), "x");
        var a = new Dense(2, name: "a");
        var b = new Dense(2, name: "b");
        var c = new Dense(2, name: "c");
        var model = new Functional(x, new Concatenate().Call(a.Call(x), c.Call(b.Call(x))));
        var kernels = KerasWeightLayout.Of(model).Where(w => w.Parameter.Name == "kernel").ToDictionary(w => w.Layer.Name, w => w.Path);
        Assert.Equal("layers/dense/vars/0", kernels["b"]);
        Assert.Equal("layers/dense_1/vars/0", kernels["a"]);
        Assert.Equal("layers/dense_2/vars/0", kernels["c"]);
    }

    [Fact]
    public void Of_SpectralNormalization_KeepsVectorUAfterTheWrappedKernelAlias()
    {
        // Keras' SpectralNormalization.build sets self.kernel = self.layer.kernel before adding vector_u, so the wrapper's
        // own variables are [kernel, vector_u] (vars/0 repeats layer/vars/0) and the Dense keeps its own under "layer".
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor y = new SpectralNormalization(new Dense(3)).Call(x);
        var model = new Functional(x, new SpectralNormalization(new Embedding(5, 2), powerIterations: 2).Call(y));
        Assert.Equal(
            [
                ("spectral_normalization/vector_u", "layers/spectral_normalization/vars/1"),
                ("spectral_normalization/dense/kernel", "layers/spectral_normalization/layer/vars/0"),
                ("spectral_normalization/dense/bias", "layers/spectral_normalization/layer/vars/1"),
                ("spectral_normalization_1/vector_u", "layers/spectral_normalization_1/vars/1"),
                ("spectral_normalization_1/embedding/embeddings", "layers/spectral_normalization_1/layer/vars/0"),
            ],
            KerasWeightLayout.Of(model).Select(w => (w.TensorName, w.Path)));
        Assert.Equal(
            [
                ("spectral_normalization/dense/kernel", "layers/spectral_normalization/vars/0"),
                ("spectral_normalization_1/embedding/embeddings", "layers/spectral_normalization_1/vars/0"),
            ],
            KerasWeightLayout.Aliases(model).Select(w => (w.TensorName, w.Path)));
        Assert.Contains("layers/spectral_normalization/layer/vars", KerasWeightLayout.EmptyGroups(model));
    }
}

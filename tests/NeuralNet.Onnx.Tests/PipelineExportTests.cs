using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// What a Pipeline becomes in the file (its layers in turn) and what export refuses in it, beside its round trips in
/// <see cref="ExportCases"/>.
/// </summary>
public sealed class PipelineExportTests
{
    static PipelineExportTests() =>
        SerializationRegistry.Register("PipelineExportTests>Halving", config => new Halving(config.GetString("name")));

    [Fact]
    public void Pipeline_is_its_layers_in_turn_with_their_weights_under_its_name()
    {
        var model = new Sequential([new InputLayer(4), new Pipeline([new GaussianNoise(0.3), new Dense(3, ActivationFunction.Relu), new Dense(2)], name: "steps")], seed: 1);
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;

        // The noise is the identity at inference: two products, their biases and the ReLU.
        Assert.Equal(["MatMul", "Add", "Relu", "MatMul", "Add"], graph.Node.Select(n => n.OpType));
        Assert.Equal(["steps/dense/kernel", "steps/dense/bias", "steps/dense_1/kernel", "steps/dense_1/bias"], graph.Initializer.Select(i => i.Name));
        OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.RandomNormal(new TensorShape(3, 4), 2));
    }

    [Fact]
    public void A_layer_without_an_onnx_form_inside_is_named()
    {
        var model = new Sequential([new InputLayer(4), new Pipeline([new Dense(3), new Halving(name: "half")], name: "steps")], name: "custom", seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("'half'", error.Message, StringComparison.Ordinal);
        Assert.Contains("inside 'steps'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_made_inside_after_the_first_layer_and_read_after_the_pipeline_is_refused()
    {
        var model = new Sequential([new InputLayer(5, 3), new Pipeline([new Dense(3), new Masking()], name: "steps"), new Lstm(2)], seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Pipeline", error.Message, StringComparison.Ordinal);
        Assert.Contains("'steps'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_arriving_at_a_layer_inside_that_reads_it_is_refused()
    {
        var model = new Sequential([new InputLayer(5, 3), new Masking(), new Pipeline([new Dense(3), new Lstm(2)], name: "steps")], seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("inside Pipeline 'steps' reads the mask", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_arriving_at_a_TimeDistributed_Dense_inside_is_not_refused_as_it_computes_the_same_without_it()
    {
        // TimeDistributed(Dense) hands each step's mask to a Dense, which does not read it: only layers whose values depend
        // on the mask (a recurrent layer, GlobalAveragePooling1D, or TimeDistributed of one) are refused inside.
        var model = new Sequential(
            [new InputLayer(5, 3), new Masking(), new Pipeline([new TimeDistributed(new Dense(4, ActivationFunction.Tanh)), new Dense(3)], name: "steps"), new Lstm(2)], seed: 1);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), 3);
        Span<float> values = x.AsSpan();
        values[9..15].Clear();
        values[27..].Clear();

        // The LSTM after the pipeline reads the mask Masking made, passed on through both layers inside.
        OnnxRoundTrip.AssertMatchesPredictOn(model, x);
    }

    /// <summary>A user's layer with no ONNX form, registered so that a Pipeline can run a copy of it.</summary>
    private sealed class Halving(string? name = null) : Layer(name)
    {
        public override string DefaultNamePrefix => "halving";

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training) => input * 0.5f;

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient * 0.5f;
    }
}

using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>Masking's values in the file, its mask followed to the layers that read it, and the refusal where it cannot be.</summary>
public sealed class MaskingExportTests
{
    [Fact]
    public void Positions_whose_features_all_equal_the_mask_value_become_zeros_exactly()
    {
        var model = new Sequential(name: "padded", seed: 1);
        model.Add(new InputLayer(new TensorShape(4, 3), name: "x"));
        model.Add(new Masking(0.5f, name: "mask"));

        // Sample 0: step 1 all 0.5 (masked), step 2 partly 0.5 (kept); sample 1: steps 0 and 3 masked, step 1 (one feature off) and step 2 (−0 and 0, not 0.5) kept.
        Tensor x = Tensor.FromArray(
        [
            -1f, 2f, 3f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 4f, -4f, 0f,
            0.5f, 0.5f, 0.5f, 7f, 0.5f, 0.5f, -0f, 0f, 0f, 0.5f, 0.5f, 0.5f,
        ], 2, 4, 3);
        Tensor expected = model.Predict(x);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [x])["mask"];
        Assert.Equal(expected.AsReadOnlySpan().ToArray(), actual);
        Assert.Equal([0f, 0f, 0f], actual[3..6]);
        Assert.Equal(2f, actual[1]);
    }

    [Fact]
    public void A_mask_joined_along_the_steps_is_not_followed_and_its_reader_is_refused_naming_the_join()
    {
        var x = new Input(new TensorShape(4, 3), name: "x");
        var y = new Input(new TensorShape(2, 3), name: "y");
        SymbolicTensor joined = new Concatenate(axis: 1, name: "join").Call(new Masking(name: "mask").Call(x), y);
        var model = new Functional([x, y], [new Gru(2, name: "reader").Call(joined)], name: "joined");
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'reader' (Gru) of model 'joined' reads the mask that layer 'mask' (Masking) makes, which NeuralNet.Onnx cannot follow through layer 'join' (Concatenate: joined along an axis the masks have)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeDistributed_of_a_layer_that_ignores_masks_passes_the_mask_on_and_exports()
    {
        // Keras' padded-sequence pattern: Masking, then a Dense per step, whose values do not depend on the mask.
        var model = new Sequential(name: "per_step", seed: 1);
        model.Add(new InputLayer(new TensorShape(5, 3), name: "x"));
        model.Add(new ReLU());
        model.Add(new Masking());
        model.Add(new TimeDistributed(new Dense(2)));
        model.Add(new Flatten(name: "flat"));
        OnnxRoundTrip.AssertMatchesPredict(model.Randomized());

        // The mask it passes on reaches a layer that reads it: steps 0 and 3 of sample 0, step 4 of sample 1 are padding.
        var reading = new Sequential(name: "reading", seed: 2);
        reading.Add(new InputLayer(new TensorShape(5, 3), name: "x"));
        reading.Add(new Masking(name: "mask"));
        reading.Add(new TimeDistributed(new Dense(2)));
        reading.Add(new Lstm(2, name: "reader"));
        Tensor x = Tensor.FromArray(
        [
            0f, 0f, 0f, 1f, -2f, 0.5f, 0.3f, 0f, 0f, 0f, 0f, 0f, -0.4f, 0.9f, 0.1f,
            0.2f, 0.1f, -0.3f, 0.7f, 0f, 0.6f, -1f, -0.5f, 0.2f, 0.4f, 0.4f, 0.4f, 0f, 0f, 0f,
        ], 2, 5, 3);
        OnnxRoundTrip.AssertMatchesPredictOn(reading.Randomized(), x);
    }

    [Fact]
    public void Random_inputs_after_relu_do_mask_some_steps_in_the_round_trip_case()
    {
        // The case masking_after_relu_then_dense is only a test of masking if some of its steps are masked.
        Model model = ExportCases.Build("masking_after_relu_then_dense");
        Tensor x = OnnxRoundTrip.RandomInputs(model, 3)[0];
        int masked = 0;
        for (int row = 0; row < 15; row++)
        {
            masked += x.AsReadOnlySpan().Slice(row * 3, 3).ToArray().All(v => v <= 0f) ? 1 : 0;
        }

        Assert.InRange(masked, 1, 14);
    }
}

using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Losses;

/// <summary>
/// A loss of your own on an output that carries a mask (Keras' ner_transformers tutorial: Embedding(maskZero) -> per-token
/// softmax, sparse labels): it sees (batch, steps, classes) and (batch, steps) whether or not the output is masked, and the
/// mask weighs its per-entry values as Keras' <c>apply_mask</c> does (Σ m·loss / Σ m), so it trains as the built-in loss.
/// </summary>
public class CustomLossMaskTests
{
    private const int Steps = 5, Classes = 3, Vocabulary = 7;

    // Token 0 is padding: samples of 5, 3, 1 and 0 real tokens (the last one wholly masked).
    private static readonly Tensor Tokens = Tensor.FromArray(
        [3, 1, 4, 1, 5, 2, 6, 5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0], 4, Steps);

    private static readonly Tensor Labels = Tensor.FromArray(
        [1, 2, 0, 2, 1, 0, 1, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0], 4, Steps);

    [Fact]
    public void Evaluate_MaskedOutput_CustomLossSeesTheOutputsShapeAndKerasMaskedMean()
    {
        Model masked = Tagger(maskZero: true), plain = Tagger(maskZero: false);
        var custom = new TokenCrossEntropy();
        masked.Compile(new Sgd(0.1), custom);
        double loss = masked.Evaluate(Tokens, Labels, batchSize: 4, verbose: 0)["loss"];
        Assert.Equal(new[] { (new TensorShape(4, Steps, Classes), new TensorShape(4, Steps)) }, custom.Seen.Distinct());

        // Keras: sum over real tokens of -log p[label], divided by their number (9), from the model's own predictions.
        Tensor p = masked.Predict(Tokens);
        double sum = 0;
        int real = 0;
        for (int b = 0; b < 4; b++)
        {
            for (int s = 0; s < Steps; s++)
            {
                if (Tokens[b, s] != 0)
                {
                    sum -= Math.Log(p[b, s, (int)Labels[b, s]]);
                    real++;
                }
            }
        }

        Assert.Equal(9, real);
        Assert.Equal(sum / real, loss, 5);

        // Unmasked, the same loss sees the same shapes (and every step counts).
        var unmaskedLoss = new TokenCrossEntropy();
        plain.Compile(new Sgd(0.1), unmaskedLoss);
        plain.TrainOnBatch(Tokens, Labels);
        Assert.Equal(new[] { (new TensorShape(4, Steps, Classes), new TensorShape(4, Steps)) }, unmaskedLoss.Seen.Distinct());
    }

    [Fact]
    public void TrainOnBatch_MaskedOutput_CustomLossStepsAsTheBuiltInSparseCrossEntropy()
    {
        Model custom = Tagger(maskZero: true), builtIn = Tagger(maskZero: true);
        IReadOnlyList<Tensor> start = custom.GetWeights();
        builtIn.SetWeights(start);
        custom.Compile(new Sgd(0.5), new TokenCrossEntropy());
        builtIn.Compile(new Sgd(0.5), new SparseCategoricalCrossEntropy());
        Tensor weights = Tensor.FromArray([0.5f, 2f, 1f, 3f], 4);
        for (int step = 0; step < 3; step++)
        {
            // Unweighted, then with sample weights: the mask's weights times the samples'.
            Tensor? w = step == 2 ? weights : null;
            double a = custom.TrainOnBatch(Tokens, Labels, sampleWeight: w)["loss"], b = builtIn.TrainOnBatch(Tokens, Labels, sampleWeight: w)["loss"];
            Assert.Equal(b, a, 5);
        }

        IReadOnlyList<Tensor> x = custom.GetWeights(), y = builtIn.GetWeights();
        for (int i = 0; i < x.Count; i++)
        {
            Assert.False(x[i].AsReadOnlySpan().SequenceEqual(start[i].AsReadOnlySpan()));
            for (int j = 0; j < x[i].Length; j++)
            {
                Assert.Equal(y[i].AsReadOnlySpan()[j], x[i].AsReadOnlySpan()[j], 5);
            }
        }
    }

    [Fact]
    public void Fit_MaskedOutput_CustomLossWithoutComputePerEntry_SaysSoBeforeAnyStep()
    {
        Model model = Tagger(maskZero: true);
        IReadOnlyList<Tensor> before = model.GetWeights();
        model.Compile(new Sgd(0.1), new MeanOnlyLoss());
        var error = Assert.Throws<NotSupportedException>(() => model.Fit(Tokens, Labels, batchSize: 4, verbose: 0));
        Assert.Contains("MeanOnlyLoss ('mean_only')", error.Message, StringComparison.Ordinal);
        Assert.Contains("carries a mask", error.Message, StringComparison.Ordinal);
        Assert.Contains("override Loss.ComputePerEntry", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ComputePerSample", error.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => model.Evaluate(Tokens, Labels, batchSize: 4, verbose: 0));
        Assert.Equal(0, model.Optimizer!.Iterations);
        IReadOnlyList<Tensor> after = model.GetWeights();
        for (int i = 0; i < before.Count; i++)
        {
            Assert.True(before[i].AsReadOnlySpan().SequenceEqual(after[i].AsReadOnlySpan()));
        }

        // Without a mask the same loss needs neither ComputePerEntry nor ComputePerSample.
        Model plain = Tagger(maskZero: false);
        plain.Compile(new Sgd(0.1), new MeanOnlyLoss());
        Assert.True(double.IsFinite(plain.Evaluate(Tokens, Labels, batchSize: 4, verbose: 0)["loss"]));
    }

    [Fact]
    public void TrainStep_MaskedOutput_CustomLoss_AllocatesNothingAfterWarmUp()
    {
        Model model = Tagger(maskZero: true);
        model.Compile(new Sgd(0.1), new TokenCrossEntropy(record: false));
        model.TrainStep(Tokens, Labels);
        model.TrainStep(Tokens, Labels);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.TrainStep(Tokens, Labels);
            }
        });
    }

    private static Model Tagger(bool maskZero) => new Sequential(
    [
        new InputLayer(Steps),
        new Embedding(Vocabulary, 4, maskZero: maskZero, name: "embedding"),
        new Dense(Classes, ActivationFunction.Softmax, name: "tags"),
    ]);

    /// <summary>Sparse cross-entropy per token, written as a user would: (batch, steps, classes) and (batch, steps).</summary>
    private class MeanOnlyLoss(bool record = true) : Loss
    {
        public override string Name => "mean_only";

        public List<(TensorShape Predictions, TensorShape Targets)> Seen { get; } = [];

        public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
        {
            if (outputShape.Rank != 2 || targetShape.Rank != 1 || targetShape[0] != outputShape[0])
            {
                throw new ArgumentException($"{Name}: output {outputShape} needs targets (None, {outputShape[0]}) but got {targetShape}.");
            }
        }

        public override float Compute(Tensor predictions, Tensor targets)
        {
            Record(predictions, targets);
            double sum = 0;
            for (int b = 0; b < predictions.Shape[0]; b++)
            {
                for (int s = 0; s < predictions.Shape[1]; s++)
                {
                    sum += Entry(predictions, targets, b, s);
                }
            }

            return (float)(sum / (predictions.Shape[0] * predictions.Shape[1]));
        }

        public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient)
        {
            Record(predictions, targets);
            int entries = predictions.Shape[0] * predictions.Shape[1];
            gradient.AsSpan().Clear();
            for (int b = 0; b < predictions.Shape[0]; b++)
            {
                for (int s = 0; s < predictions.Shape[1]; s++)
                {
                    int label = (int)targets[b, s];
                    gradient[b, s, label] = -1f / (Math.Max(predictions[b, s, label], 1e-7f) * entries);
                }
            }
        }

        protected void Record(Tensor predictions, Tensor targets)
        {
            if (record)
            {
                Seen.Add((predictions.Shape, targets.Shape));
            }
        }

        protected static double Entry(Tensor predictions, Tensor targets, int b, int s) =>
            -Math.Log(Math.Clamp(predictions[b, s, (int)targets[b, s]], 1e-7, 1));
    }

    private sealed class TokenCrossEntropy(bool record = true) : MeanOnlyLoss(record)
    {
        // "protected internal" only because this assembly sees NeuralNet's internals; a user's loss writes "protected override".
        protected internal override void ComputePerEntry(Tensor predictions, Tensor targets, Span<float> destination)
        {
            Record(predictions, targets);
            int steps = predictions.Shape[1];
            for (int b = 0; b < predictions.Shape[0]; b++)
            {
                for (int s = 0; s < steps; s++)
                {
                    destination[(b * steps) + s] = (float)Entry(predictions, targets, b, s);
                }
            }
        }
    }
}

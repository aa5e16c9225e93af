using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// The refusal, before a call that runs batches changes anything, of an output sure to carry a mask (Keras knows the
/// masks of its symbolic calls) whose loss or metric takes none; a mask only a pass reveals is refused after it. Each
/// model puts a BatchNormalization right after the mask's source: its moving mean, zero until a training pass, tells
/// whether anything ran. Keras' rules for the masks: Embedding(mask_zero) and Masking make one, layers with
/// supports_masking pass it on, an RNN keeps it only with return_sequences, Concatenate keeps it when any input has one
/// (keras/src/layers/merging/concatenate.py compute_mask), the other merges only when every input has one (merging/base_merge.py).
/// </summary>
public class SureMaskRefusalTests
{
    [Fact]
    public void ResetMetrics_CompiledModelWhoseLossTakesNoMask_DoesNotThrowAndTheBatchCallsRefuse()
    {
        // ResetMetrics runs no batch: it must not throw (it used to, the refusal running where the trainer is created).
        (Functional model, BatchNormalization norm) = Model(Embedded, h => Dense3(h));
        model.Compile(new Sgd(), new Dice());
        (Tensor x, Tensor y) = Batch();

        model.ResetMetrics();

        Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));
        Assert.Throws<NotSupportedException>(() => model.TrainOnBatch(x, y));
        Assert.Throws<NotSupportedException>(() => model.TestOnBatch(x, y));
        Assert.Throws<NotSupportedException>(() => model.Evaluate(x, y, verbose: 0));
        Unchanged(norm);
        model.ResetMetrics();
    }

    [Fact]
    public void FitAndEvaluate_FromADataSource_AreRefusedBeforeThePass()
    {
        (Functional model, BatchNormalization norm) = Model(Embedded, h => Dense3(h));
        model.Compile(new Sgd(), new Tversky());
        (Tensor x, Tensor y) = Batch();
        DataSource Source() => DataSource.FromBatches([new DataBatch(x, y)]);

        Assert.Throws<NotSupportedException>(() => model.Fit(Source(), epochs: 1, verbose: 0));
        Assert.Throws<NotSupportedException>(() => model.Evaluate(Source(), verbose: 0));
        Unchanged(norm);
    }

    [Theory]
    [InlineData("cce")]
    [InlineData("bce")]
    [InlineData("focal")]
    [InlineData("metric")]
    public void Fit_AxisNamingTheLastAxisOfAMaskedOutput_TrainsAsAxisMinusOne(string name)
    {
        // axis 2 of a (batch, 4, 3) output is its last axis, as ClassAxis.Of reads it and Keras accepts: same bits as -1.
        double[] losses = new double[2];
        int index = 0;
        foreach (int axis in new[] { 2, -1 })
        {
            (Functional model, _) = Model(Embedded, h => Dense3(h));
            Metric[] metrics = name == "metric" ? [new CategoricalCrossEntropyMetric(axis: axis)] : [];
            Loss loss = name switch
            {
                "bce" => new BinaryCrossEntropy(axis: axis),
                "focal" => new CategoricalFocalCrossEntropy(axis: axis),
                _ => new CategoricalCrossEntropy(axis: axis),
            };
            model.Compile(new Sgd(), loss, metrics);
            (Tensor x, Tensor y) = Batch();

            History history = model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);

            losses[index++] = name == "metric" ? history["categorical_crossentropy"][0] : history["loss"][0];
        }

        Assert.True(double.IsFinite(losses[0]));
        Assert.Equal(BitConverter.DoubleToInt64Bits(losses[1]), BitConverter.DoubleToInt64Bits(losses[0]));
    }

    public static TheoryData<string> RefusedLosses => ["dice", "tversky", "ctc"];

    [Theory]
    [MemberData(nameof(RefusedLosses))]
    public void Fit_OverlapOrCtcLossOnASurelyMaskedOutput_IsRefusedBeforeThePass(string name)
    {
        (Functional model, BatchNormalization norm) = Model(Embedded, h => new Dense(3, name == "ctc" ? ActivationFunction.Softmax : ActivationFunction.Sigmoid).Call(h));
        Loss loss = name switch { "dice" => new Dice(), "tversky" => new Tversky(), _ => new Ctc() };
        model.Compile(new Sgd(), loss);
        (Tensor x, Tensor y) = Batch();
        if (name == "ctc")
        {
            // CTC's targets: label indices per sample (blank is the last class).
            y = Tensor.FromArray([0f, 1, 1, 0], 2, 2);
        }

        var error = Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));

        Assert.StartsWith($"{loss.Name}: the output carries a mask", error.Message, StringComparison.Ordinal);
        Unchanged(norm);
    }

    [Fact]
    public void Fit_MaskingSource_IsRefusedBeforeThePass()
    {
        var values = new Input(new TensorShape(4, 2), "values");
        var norm = new BatchNormalization();
        var model = new Functional(values, Dense3(norm.Call(new Masking().Call(values))), seed: 2);
        model.Compile(new Sgd(), new Dice());
        var x = new Tensor(new TensorShape(2, 4, 2));
        x.AsSpan().Fill(0.5f);
        x.AsSpan()[..2].Clear();
        (_, Tensor y) = Batch();

        Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));
        Unchanged(norm);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Fit_RecurrentOrBidirectional_RefusedOnlyWithReturnSequences(bool bidirectional, bool returnSequences)
    {
        (Functional model, BatchNormalization norm) = Model(Embedded, h =>
        {
            var lstm = new Lstm(2, returnSequences: returnSequences);
            return Dense3(bidirectional ? new Bidirectional(lstm).Call(h) : lstm.Call(h));
        });
        model.Compile(new Sgd(), new Dice());
        (Tensor x, Tensor y) = Batch();
        if (!returnSequences)
        {
            // (batch, 3): the last step only, without a mask.
            y = Tensor.FromArray([1f, 0, 1, 0, 1, 0], 2, 3);
        }

        if (returnSequences)
        {
            Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));
            Unchanged(norm);
        }
        else
        {
            Assert.True(double.IsFinite(model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0)["loss"][0]));
        }
    }

    [Theory]
    [InlineData("concatenate", true, true)]
    [InlineData("concatenate", false, true)]
    [InlineData("add", true, true)]
    [InlineData("add", false, false)]
    public void Fit_Merges_ConcatenateMasksWithAnyInputTheOthersWithAll(string merge, bool bothMasked, bool refused)
    {
        var ids = new Input(new TensorShape(4), "ids");
        var other = new Input(new TensorShape(4), "other");
        var norm = new BatchNormalization();
        SymbolicTensor first = norm.Call(new Embedding(5, 3, maskZero: true).Call(ids));
        SymbolicTensor second = new Embedding(5, 3, maskZero: bothMasked).Call(other);
        Layer layer = merge == "add" ? new Add() : new Concatenate();
        var model = new Functional([ids, other], Dense3(layer.Call(first, second)), seed: 2);
        model.Compile(new Sgd(), new Dice());
        (Tensor x, Tensor y) = Batch();
        Tensor[] inputs = [x, x];

        if (refused)
        {
            Assert.Throws<NotSupportedException>(() => model.Fit(inputs, y, epochs: 1, batchSize: 2, verbose: 0));
            Unchanged(norm);
        }
        else
        {
            Assert.True(double.IsFinite(model.Fit(inputs, y, epochs: 1, batchSize: 2, verbose: 0)["loss"][0]));
        }
    }

    [Fact]
    public void Fit_TimeDistributed_IsRefusedOnlyAfterThePassRevealsTheMask()
    {
        // TimeDistributed's mask depends on its inner layer, known when it runs: not judged before, refused after the pass.
        (Functional model, BatchNormalization norm) = Model(Embedded, h => new TimeDistributed(new Dense(3, ActivationFunction.Sigmoid)).Call(h));
        model.Compile(new Sgd(), new Dice());
        (Tensor x, Tensor y) = Batch();

        var error = Assert.Throws<NotSupportedException>(() => model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0));

        Assert.StartsWith("dice: the output carries a mask", error.Message, StringComparison.Ordinal);
        Assert.Contains(norm.MovingMean.Value.ToArray(), v => v != 0f);
    }

    private static SymbolicTensor Embedded(SymbolicTensor ids) => new Embedding(5, 3, maskZero: true).Call(ids);

    private static SymbolicTensor Dense3(SymbolicTensor hidden) => new Dense(3, ActivationFunction.Sigmoid).Call(hidden);

    // ids (4,) -> source -> BatchNormalization -> body.
    private static (Functional Model, BatchNormalization Norm) Model(Func<SymbolicTensor, SymbolicTensor> source, Func<SymbolicTensor, SymbolicTensor> body)
    {
        var ids = new Input(new TensorShape(4), "ids");
        var norm = new BatchNormalization();
        return (new Functional(ids, body(norm.Call(source(ids))), seed: 2), norm);
    }

    // Two samples of 4 ids, the last of the first sample padding (0); targets (2, 4, 3) in [0, 1].
    private static (Tensor X, Tensor Y) Batch()
    {
        var x = Tensor.FromArray([1f, 2, 3, 0, 4, 3, 2, 1], 2, 4);
        var y = new Tensor(new TensorShape(2, 4, 3));
        Span<float> t = y.AsSpan();
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = i % 3 == 0 ? 1f : 0f;
        }

        return (x, y);
    }

    // Nothing ran: BatchNormalization's moving mean keeps its initial zeros.
    private static void Unchanged(BatchNormalization norm) => Assert.All(norm.MovingMean.Value.ToArray(), v => Assert.Equal(0f, v));
}

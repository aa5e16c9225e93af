using System.Text.Json.Nodes;
using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.Kernels;
using NeuralNet.Tests.Layers;
using Xunit;
using UnitNorm = NeuralNet.Constraints.UnitNorm;

namespace NeuralNet.Tests.Constraints;

public class ConstraintTests
{
    private const string Seed = "(4242,17)";

    // Keras 3 keras/src/constraints/constraints_test.py, test_max_norm: the columns (axis 0) of x.T have norms 0, 1, 3
    // and 3 sqrt(3); those above 2 are scaled down to 2.
    [Fact]
    public void MaxNorm_KerasTestValues()
    {
        float s = 2f / MathF.Sqrt(3f);
        Tensor w = Transposed([[0, 0, 0], [1, 0, 0], [3, 0, 0], [3, 3, 3]]);
        new MaxNorm(2f).Apply(w);
        Tensor expected = Transposed([[0, 0, 0], [1, 0, 0], [2, 0, 0], [s, s, s]]);
        Assert.Equal(expected.ToArray(), w.ToArray(), new Tolerance(1e-6f));
    }

    [Fact]
    public void NonNeg_ZeroesNegatives_KeepsPositivesAndNaN()
    {
        Tensor w = Tensor.FromArray([-3f, 0f, 2.5f, -0.001f, float.NaN], 5);
        new NonNeg().Apply(w);
        Assert.Equal([0f, 0f, 2.5f, 0f], w.ToArray()[..4]);
        Assert.True(float.IsNaN(w[4]));
    }

    // Keras' test_unit_norm and test_min_max_norm on its example array: uniform in [-50, 50), 100 x 100, one zero.
    [Fact]
    public void UnitNorm_And_MinMaxNorm_KerasExampleArray_ColumnNormsAsKerasChecks()
    {
        Tensor example = ExampleArray();
        Tensor unit = example.Clone();
        new UnitNorm().Apply(unit);
        foreach (double norm in ColumnNorms(unit))
        {
            Assert.Equal(1.0, norm, 1e-5);
        }

        Tensor bounded = example.Clone();
        new MinMaxNorm(minValue: 0.2f, maxValue: 0.5f).Apply(bounded);
        Assert.All(ColumnNorms(bounded), norm => Assert.InRange(norm, 0.2 - 1e-6, 0.5 + 1e-6));
    }

    [Fact]
    public void MinMaxNorm_RateBelowOne_MovesPartWay_KerasFormula()
    {
        // One column of norm 5 (3, 4): desired = 0.25 * clip(5, 1, 2) + 0.75 * 5 = 4.25; factor 4.25 / (1e-7 + 5).
        Tensor w = Tensor.FromArray([3f, 4f], 2, 1);
        new MinMaxNorm(1f, 2f, rate: 0.25f).Apply(w);
        float factor = 4.25f / (1e-7f + 5f);
        Assert.Equal([3f * factor, 4f * factor], w.ToArray());
    }

    [Fact]
    public void MaxNorm_ConvolutionKernel_AxesZeroOneTwo_OneNormPerFilter()
    {
        var random = new SeededRandom(5);
        Tensor w = Tensor.FromArray(ConvTestCases.RandomArray(random, 3 * 3 * 2 * 4).Select(v => v * 3f).ToArray(), 3, 3, 2, 4);
        float[] original = w.ToArray();
        new MaxNorm(1.5f, axis: [0, 1, -2]).Apply(w);
        float[] projected = w.ToArray();
        for (int f = 0; f < 4; f++)
        {
            double sum = 0;
            for (int i = f; i < original.Length; i += 4)
            {
                sum += (double)original[i] * original[i];
            }

            float norm = (float)Math.Sqrt(sum);
            float factor = Math.Clamp(norm, 0f, 1.5f) / (1e-7f + norm);
            for (int i = f; i < original.Length; i += 4)
            {
                Assert.Equal(original[i] * factor, projected[i], 1e-6f);
            }
        }
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void AxisNorms_RandomShapesAndAxes_EqualReference(long seed)
    {
        var random = new SeededRandom(seed);
        int rank = random.NextInt(4) + 1;
        int[] dims = Enumerable.Range(0, rank).Select(_ => random.NextInt(5) + 1).ToArray();
        int mask = random.NextInt(1 << rank);
        float[] w = ConvTestCases.RandomArray(random, dims.Aggregate(1, (a, b) => a * b));
        int count = AxisNorms.Count(dims, mask);
        float[] norms = new float[count], expected = new float[count];

        AxisNorms.Compute(w, dims, mask, new double[count], norms);
        AxisNorms.ComputeReference(w, dims, mask, expected);

        Assert.Equal(expected, norms);
    }

    [Fact]
    public void Axis_OutsideTheWeights_RefusedWhenTheLayerIsBuilt_NamingLayerParameterAndShape()
    {
        var dense = new Dense(3, name: "d") { KernelConstraint = new MaxNorm(2f, axis: 2) };
        var e = Assert.Throws<ArgumentException>(() => dense.Build(new TensorShape(4)));
        Assert.Contains("Dense 'd'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'kernel'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 3)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new UnitNorm(axis: [0, 0]).ValidateShape(new TensorShape(2, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxNorm(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MinMaxNorm(2f, 1f));
    }

    // Keras 3 keras/src/optimizers/optimizer_test.py, test_constraints_are_applied: a zero gradient, and still the
    // projection runs after the step.
    [Fact]
    public void Optimizer_Step_AppliesTheConstraintAfterTheUpdate_KerasTest()
    {
        var dense = new Dense(2) { KernelConstraint = new NonNeg() };
        dense.Build(new TensorShape(2));
        float[] values = [-0.5f, 0.25f, -0.75f, 0.1f];
        values.CopyTo(dense.Kernel.Value.AsSpan());
        new Sgd(0.0001f).Step(dense.Parameters);
        Assert.Equal([0f, 0.25f, 0f, 0.1f], dense.Kernel.Value.ToArray());
    }

    [Fact]
    public void Optimizer_StepThatOnlyAccumulates_StillProjects_AsKerasApply()
    {
        var dense = new Dense(2) { KernelConstraint = new NonNeg() };
        dense.Build(new TensorShape(2));
        float[] values = [-0.5f, 0.25f, -0.75f, 0.1f];
        values.CopyTo(dense.Kernel.Value.AsSpan());
        var sgd = new Sgd(0.1f) { GradientAccumulationSteps = 2 };

        // The first call only accumulates (no update), and the constraint still runs, as in Keras 3's apply().
        sgd.Step(dense.Parameters);

        Assert.Equal([0f, 0.25f, 0f, 0.1f], dense.Kernel.Value.ToArray());
    }

    [Fact]
    public void Optimizer_EmaOverwrite_ThenTheConstraint_AsKerasApply()
    {
        // Keras 3: _backend_apply_gradients updates, averages and overwrites with the average; apply() then projects. So
        // the average is taken from the unprojected weights (negative here), and an overwrite is projected afterwards.
        float[] values = [-0.5f, 0.25f, -0.75f, 0.1f];
        foreach (int? overwrite in new int?[] { null, 1 })
        {
            var dense = new Dense(2) { KernelConstraint = new NonNeg() };
            dense.Build(new TensorShape(2));
            values.CopyTo(dense.Kernel.Value.AsSpan());
            var sgd = new Sgd(0.1f) { UseEma = true, EmaOverwriteFrequency = overwrite };

            sgd.Step(dense.Parameters);

            Assert.Equal([0f, 0.25f, 0f, 0.1f], dense.Kernel.Value.ToArray());
            Assert.Equal(values, sgd.GetOrCreateState(dense.Kernel, 0).ToArray());
        }
    }

    [Fact]
    public void Fit_DenseAndLstmWithConstraints_KeepTheirWeightsProjected_AndAFrozenLayerIsLeftAlone()
    {
        var hidden = new Dense(8, ActivationFunction.Relu) { KernelConstraint = new MaxNorm(0.5f), BiasConstraint = new NonNeg() };
        var output = new Dense(2, ActivationFunction.Softmax);
        var model = new Sequential([new InputLayer(4), hidden, output], seed: 3);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        (Tensor x, Tensor y) = TwoClassData(64);

        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);

        Assert.All(ColumnNorms(hidden.Kernel.Value), norm => Assert.True(norm <= 0.5 + 1e-6, $"column norm {norm} above 0.5"));
        Assert.All(hidden.Bias!.Value.ToArray(), b => Assert.True(b >= 0));

        var lstm = new Lstm(3) { KernelConstraint = new UnitNorm(), RecurrentConstraint = new MaxNorm(0.1f) };
        var sequenceModel = new Sequential([new InputLayer(5, 4), lstm, new Dense(2, ActivationFunction.Softmax)], seed: 4);
        sequenceModel.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        (Tensor steps, Tensor labels) = TwoClassData(32 * 5);
        sequenceModel.Fit(steps.Reshape(32, 5, 4), labels.Slice(0, 32), epochs: 1, batchSize: 8, verbose: 0);
        Assert.All(ColumnNorms(lstm.Parameters[0].Value), norm => Assert.Equal(1.0, norm, 1e-5));
        Assert.All(ColumnNorms(lstm.Parameters[1].Value), norm => Assert.True(norm <= 0.1 + 1e-6));

        // A frozen layer's weights are not trainable, so the optimizer neither updates nor projects them (Keras: only
        // trainable variables are constrained).
        var frozen = new Dense(2) { KernelConstraint = new NonNeg() };
        var frozenModel = new Sequential([new InputLayer(4), frozen, new Dense(2, ActivationFunction.Softmax)], seed: 5);
        frozen.Trainable = false;
        float[] before = frozen.Kernel.Value.ToArray();
        Assert.Contains(before, v => v < 0);
        frozenModel.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        frozenModel.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Assert.Equal(before, frozen.Kernel.Value.ToArray());
    }

    [Fact]
    public void TrainingStep_WithNormConstraints_AllocatesNothingAfterTheFirstBatch()
    {
        var model = new Sequential(
            [new InputLayer(4), new Dense(16, ActivationFunction.Relu) { KernelConstraint = new MaxNorm(1f), BiasConstraint = new MinMaxNorm() }, new Dense(2, ActivationFunction.Softmax) { KernelConstraint = new UnitNorm() }],
            seed: 6);
        model.Compile(new Adam(), new CategoricalCrossEntropy());
        (Tensor x, Tensor y) = TwoClassData(16);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                model.TrainStep(x, y);
            }
        });
    }

    [Fact]
    public void SaveAndLoad_KeepsEveryLayersConstraints()
    {
        var model = new Sequential(
            [
                new InputLayer(6, 6, 1),
                new Conv2D(2, 3) { KernelConstraint = new MaxNorm(3f, axis: [0, 1, 2]), BiasConstraint = new NonNeg() },
                new Flatten(),
                new Dense(3) { KernelConstraint = new MinMaxNorm(0.5f, 2f, 0.7f, axis: 1) },
            ],
            seed: 7);
        string path = Path.Combine(Path.GetTempPath(), $"constraints-{Guid.NewGuid():N}.safetensors");
        Model loaded;
        try
        {
            model.Save(path);
            loaded = Model.Load(path);
        }
        finally
        {
            File.Delete(path);
        }

        var conv = (Conv2D)loaded.Layers[1];
        var kernelConstraint = Assert.IsType<MaxNorm>(conv.KernelConstraint);
        Assert.Equal(3f, kernelConstraint.MaxValue);
        Assert.Equal([0, 1, 2], kernelConstraint.Axes);
        Assert.IsType<NonNeg>(conv.BiasConstraint);
        var dense = (Dense)loaded.Layers[3];
        Assert.Equal(model.Layers[3].GetConfig().ToJson(), dense.GetConfig().ToJson());
        Assert.Same(dense.KernelConstraint, dense.Kernel.Constraint);
    }

    [Fact]
    public void KerasConfigs_LoadByIdentifierOrObject_WithKerasDefaults()
    {
        var byName = Assert.IsType<MaxNorm>(Deserialize("\"max_norm\""));
        Assert.Equal(2f, byName.MaxValue);
        Assert.Equal([0], byName.Axes);
        var unit = Assert.IsType<UnitNorm>(Deserialize("""{"class_name": "UnitNorm", "config": {"axis": [0, 1, 2]}}"""));
        Assert.Equal([0, 1, 2], unit.Axes);
        var minMax = Assert.IsType<MinMaxNorm>(Deserialize("""{"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 2.0, "rate": 0.7, "axis": 1}}"""));
        Assert.Equal((0.5f, 2f, 0.7f), (minMax.MinValue, minMax.MaxValue, minMax.Rate));
        Assert.Equal([1], minMax.Axes);
        Assert.IsType<NonNeg>(Deserialize("\"non_neg\""));

        // Keras' get_config: one axis as an integer, several as a list (test_max_norm_get_config, test_min_max_norm_get_config).
        Assert.Equal("""{"max_value":3,"axis":1}""", new MaxNorm(3f, axis: 1).GetConfig().ToJson().Replace(" ", string.Empty, StringComparison.Ordinal));
        Assert.Equal("""{"axis":[0,1,2]}""", new UnitNorm(0, 1, 2).GetConfig().ToJson().Replace(" ", string.Empty, StringComparison.Ordinal));

        var e = Assert.Throws<InvalidDataException>(() => Deserialize("\"typo\""));
        Assert.Contains("typo", e.Message, StringComparison.Ordinal);
    }

    private static Constraint Deserialize(string json) =>
        SerializationRegistry.Deserialize<Constraint>(JsonNode.Parse(json)!, new Config(), "kernel_constraint");

    private static Tensor Transposed(float[][] rows)
    {
        int r = rows.Length, c = rows[0].Length;
        var t = new Tensor(new TensorShape(c, r));
        Span<float> values = t.AsSpan();
        for (int i = 0; i < r; i++)
        {
            for (int j = 0; j < c; j++)
            {
                values[(j * r) + i] = rows[i][j];
            }
        }

        return t;
    }

    private static Tensor ExampleArray()
    {
        var random = new SeededRandom(3537);
        float[] values = Enumerable.Range(0, 100 * 100).Select(_ => (float)((random.NextDouble() * 100.0) - 50.0)).ToArray();
        values[0] = 0f;
        return Tensor.FromArray(values, 100, 100);
    }

    // The Euclidean norm of each column (axis 0) of a (rows, columns) tensor.
    private static double[] ColumnNorms(Tensor w)
    {
        int rows = w.Shape[0], columns = w.Length / rows;
        var sums = new double[columns];
        ReadOnlySpan<float> values = w.AsReadOnlySpan();
        for (int i = 0; i < values.Length; i++)
        {
            sums[i % columns] += (double)values[i] * values[i];
        }

        return sums.Select(Math.Sqrt).ToArray();
    }

    private static (Tensor X, Tensor Y) TwoClassData(int samples)
    {
        var random = new SeededRandom(11);
        float[] x = new float[samples * 4], y = new float[samples * 2];
        for (int s = 0; s < samples; s++)
        {
            int label = s % 2;
            for (int f = 0; f < 4; f++)
            {
                x[(s * 4) + f] = (float)(random.NextDouble() - 0.5) + (label == 1 ? 1f : -1f);
            }

            y[(s * 2) + label] = 1f;
        }

        return (Tensor.FromArray(x, samples, 4), Tensor.FromArray(y, samples, 2));
    }
}

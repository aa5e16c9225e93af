using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// Where (ops.where(condition, x1, x2)), Split (ops.split) and Unstack (ops.unstack), added in session 38. Expected values
/// are worked out by hand from NumPy's definitions (numpy.where: x1 where the condition is nonzero, x2 elsewhere;
/// numpy.split: equal sections, or pieces cut at the indices; unstack: the slices along the axis, the axis dropped),
/// which keras/src/ops/numpy.py and core.py follow.
/// </summary>
public class WhereSplitLayerTests
{
    [Fact]
    public void Forward_Where_PicksX1WhereTheConditionIsNonzero()
    {
        // condition (1, 0, -2, NaN, -0): NumPy reads 1, -2 and NaN as true, 0 and -0 as false.
        var where = new Where();
        where.Build([new TensorShape(5), new TensorShape(5), new TensorShape(5)]);
        Tensor condition = Tensor.FromArray([1f, 0f, -2f, float.NaN, -0f], 1, 5);
        Tensor x1 = Tensor.FromArray([10f, 11f, 12f, 13f, 14f], 1, 5), x2 = Tensor.FromArray([20f, 21f, 22f, 23f, 24f], 1, 5);

        Assert.Equal([10f, 21f, 12f, 13f, 24f], where.Forward([condition, x1, x2], training: false).ToArray());
    }

    [Fact]
    public void Forward_WhereWithBroadcasting_IsNumpysWhere()
    {
        // condition (1, 2, 1) = [[1], [0]] per sample, x1 (1, 2, 3) = 1..6, x2 (1, 1, 3) = (-1, -2, -3): row 0 from x1,
        // row 1 from x2 broadcast along the rows.
        var where = new Where();
        where.Build([new TensorShape(2, 1), new TensorShape(2, 3), new TensorShape(1, 3)]);
        Tensor y = where.Forward([Tensor.FromArray([1f, 0f], 1, 2, 1), Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3), Tensor.FromArray([-1f, -2f, -3f], 1, 1, 3)], training: false);

        Assert.Equal(new TensorShape(1, 2, 3), y.Shape);
        Assert.Equal([1f, 2f, 3f, -1f, -2f, -3f], y.ToArray());
    }

    [Fact]
    public void Backward_Where_SplitsTheGradientByTheConditionAndGivesTheConditionNone()
    {
        var where = new Where();
        where.Build([new TensorShape(3), new TensorShape(3), new TensorShape(3)]);
        where.Forward([Tensor.FromArray([1f, 0f, 3f], 1, 3), Tensor.FromArray([0f, 0f, 0f], 1, 3), Tensor.FromArray([0f, 0f, 0f], 1, 3)], training: true);
        Tensor?[] gradients = new Tensor?[3];

        where.Backward(Tensor.FromArray([5f, 6f, 7f], 1, 3), gradients);

        Assert.Null(gradients[0]);
        Assert.Equal([5f, 0f, 7f], gradients[1]!.ToArray());
        Assert.Equal([0f, 6f, 0f], gradients[2]!.ToArray());
    }

    [Fact]
    public void Backward_WhereWithBroadcasting_MatchesNumericalGradientsOfX1AndX2()
    {
        // condition (2, 3, 4) of 0s and 1s, x1 (2, 3, 4), x2 (2, 1, 4) broadcast along axis 1: x2's gradient sums over it.
        var where = new Where();
        Tensor condition = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (i * 7 % 3) == 0 ? 1f : 0f)], 2, 3, 4);
        Tensor x1 = TestData.Normal(30, 1f, 2, 3, 4), x2 = TestData.Normal(31, 1f, 2, 1, 4);
        Tensor output = where.Forward([condition, x1, x2], training: false);
        Tensor upstream = Tensor.RandomNormal(output.Shape, 32);
        Tensor?[] slots = new Tensor?[3];
        where.Backward(upstream, slots);
        float[] d1 = slots[1]!.ToArray(), d2 = slots[2]!.ToArray();
        Assert.Equal(new TensorShape(2, 1, 4), slots[2]!.Shape);

        double Objective()
        {
            ReadOnlySpan<float> y = where.Forward([condition, x1, x2], training: false).AsReadOnlySpan(), g = upstream.AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g[i] * y[i];
            }

            return sum;
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "x1", x1, d1, Objective, GradientCheckOptions.Default, 33);
        GradientChecker.CheckTensor(report, "x2", x2, d2, Objective, GradientCheckOptions.Default, 34);
        report.AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    // condition (1, 0, -2, NaN, -0), x = (10, 11, 12, 13, 14): a number as x2, as x1, as both (session 39).
    [InlineData(null, -1e9f, new[] { 10f, -1e9f, 12f, 13f, -1e9f })]
    [InlineData(0.5f, null, new[] { 0.5f, 11f, 0.5f, 0.5f, 14f })]
    [InlineData(1f, 0f, new[] { 1f, 0f, 1f, 1f, 0f })]
    public void Forward_WhereWithANumber_PicksTheNumberOnItsSide(float? whenTrue, float? whenFalse, float[] expected)
    {
        var where = new Where(whenTrue, whenFalse);
        TensorShape shape = new(5);
        Tensor condition = Tensor.FromArray([1f, 0f, -2f, float.NaN, -0f], 1, 5), x = Tensor.FromArray([10f, 11f, 12f, 13f, 14f], 1, 5);
        Tensor[] inputs = whenTrue is null || whenFalse is null ? [condition, x] : [condition];
        where.Build([.. inputs.Select(_ => shape)]);

        Assert.Equal(expected, where.Forward(inputs, training: false).ToArray());
    }

    [Fact]
    public void Backward_WhereWithANumber_MatchesNumericalGradientsOfTheTensor()
    {
        // where(condition, x, -1e9) with x (2, 3, 4) and where(condition, 0.5, x) with x (2, 1, 4) broadcast along axis 1;
        // both numbers: the condition alone gets zeros (not the output's gradient).
        Tensor condition = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (i * 5 % 3) == 0 ? 1f : 0f)], 2, 3, 4);
        Tensor x = TestData.Normal(35, 1f, 2, 3, 4), narrow = TestData.Normal(36, 1f, 2, 1, 4);
        var masked = new Where(null, -1e9f);
        var filled = new Where(0.5f, null);
        Tensor upstream = TestData.Normal(37, 1f, 2, 3, 4);
        masked.Forward([condition, x], training: true);
        filled.Forward([condition, narrow], training: true);
        Tensor?[] a = new Tensor?[2], b = new Tensor?[2];
        masked.Backward(upstream, a);
        filled.Backward(upstream, b);
        Assert.Null(a[0]);
        Assert.Null(b[0]);
        Assert.Equal(new TensorShape(2, 1, 4), b[1]!.Shape);

        double Objective(Where where, Tensor input)
        {
            ReadOnlySpan<float> y = where.Forward([condition, input], training: false).AsReadOnlySpan(), g = upstream.AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g[i] * y[i];
            }

            return sum;
        }

        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "x", x, a[1]!.ToArray(), () => Objective(masked, x), GradientCheckOptions.Default, 38);
        GradientChecker.CheckTensor(report, "narrow", narrow, b[1]!.ToArray(), () => Objective(filled, narrow), GradientCheckOptions.Default, 39);
        report.AssertPassed(maxKinkFraction: 0);

        var both = new Where(1f, 0f);
        both.Forward(condition, training: true);
        Assert.All(both.Backward(upstream).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Constructor_WhereWithANumberThatIsNotFinite_IsRefusedNamingIt()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Where(null, float.NegativeInfinity));
        Assert.Equal("whenFalse", e.ParamName);
        Assert.Contains("Where expects a finite number as whenFalse", e.Message, StringComparison.Ordinal);
        var two = new Where(null, 0f, "w");
        Assert.ThrowsAny<Exception>(() => two.Call(new Input(3), new Input(3), new Input(3)));
    }

    [Fact]
    public void Build_WhereOfShapesThatDoNotBroadcast_IsRefusedNamingThem()
    {
        var where = new Where("pick");
        var e = Assert.Throws<ArgumentException>(() => where.Build([new TensorShape(2, 3), new TensorShape(2, 4), new TensorShape(2, 3)]));
        Assert.Contains("Where 'pick' cannot broadcast input 0 of shape (None, 2, 3) with input 1 of shape (None, 2, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_SplitIntoSections_GivesNumpysPieces()
    {
        // x (1, 2, 6) = 0..11 split into 3 along the last axis: [[0, 1], [6, 7]], [[2, 3], [8, 9]], [[4, 5], [10, 11]].
        var split = new Split(3, axis: -1);
        split.Build(new TensorShape(2, 6));
        split.Forward(Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => (float)i)], 1, 2, 6), training: false);

        Assert.Equal(3, split.OutputCount);
        Assert.Equal([0f, 1f, 6f, 7f], split.GetOutput(0).ToArray());
        Assert.Equal([2f, 3f, 8f, 9f], split.GetOutput(1).ToArray());
        Assert.Equal([4f, 5f, 10f, 11f], split.GetOutput(2).ToArray());
        Assert.Equal(new TensorShape(1, 2, 2), split.GetOutput(2).Shape);
    }

    [Fact]
    public void Forward_SplitAtIndices_GivesNumpysPieces()
    {
        // np.split(x, [1, 3], axis=1) of x (1, 4, 2) = 0..7: rows [0], [1, 2], [3] of the sample.
        var split = new Split([1, 3], axis: 1);
        split.Build(new TensorShape(4, 2));
        split.Forward(Tensor.FromArray([.. Enumerable.Range(0, 8).Select(i => (float)i)], 1, 4, 2), training: false);

        Assert.Equal([new TensorShape(1, 2), new TensorShape(2, 2), new TensorShape(1, 2)], split.OutputShapes);
        Assert.Equal([0f, 1f], split.GetOutput(0).ToArray());
        Assert.Equal([2f, 3f, 4f, 5f], split.GetOutput(1).ToArray());
        Assert.Equal([6f, 7f], split.GetOutput(2).ToArray());
    }

    [Fact]
    public void Forward_Unstack_GivesTheSlicesWithoutTheAxis()
    {
        // unstack(x, axis=2) of x (1, 2, 3) = 0..5: x[:, :, 0] = (0, 3), x[:, :, 1] = (1, 4), x[:, :, 2] = (2, 5).
        var unstack = new Unstack(axis: 2);
        unstack.Build(new TensorShape(2, 3));
        unstack.Forward(Tensor.FromArray([0f, 1f, 2f, 3f, 4f, 5f], 1, 2, 3), training: false);

        Assert.Equal([new TensorShape(2), new TensorShape(2), new TensorShape(2)], unstack.OutputShapes);
        Assert.Equal([0f, 3f], unstack.GetOutput(0).ToArray());
        Assert.Equal([1f, 4f], unstack.GetOutput(1).ToArray());
        Assert.Equal([2f, 5f], unstack.GetOutput(2).ToArray());
    }

    [Fact]
    public void Backward_SplitAndUnstack_MatchNumericalGradients()
    {
        Tensor x = TestData.Normal(40, 1f, 2, 4, 3);
        MultiOutputGradientChecker.CheckLayer(new Split([1, 3], axis: 1), [x], seed: 41).AssertPassed(maxKinkFraction: 0);
        MultiOutputGradientChecker.CheckLayer(new Split(3, axis: -1), [x], seed: 42).AssertPassed(maxKinkFraction: 0);
        MultiOutputGradientChecker.CheckLayer(new Unstack(axis: 1), [x], seed: 43, skipFirstOutput: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_SplitWithAnUnreadPiece_GivesItZeroGradient()
    {
        // Pieces 0 and 2 get gradients (1, 1) and (3, 3); piece 1 none: the input's gradient is 1, 1, 0, 0, 3, 3.
        var split = new Split(3, axis: -1);
        split.Build(new TensorShape(6));
        split.Forward(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 6), training: true);
        Tensor?[] inputGradient = new Tensor?[1];

        split.Backward([Tensor.FromArray([1f, 1f], 1, 2), null, Tensor.FromArray([3f, 3f], 1, 2)], inputGradient);

        Assert.Equal([1f, 1f, 0f, 0f, 3f, 3f], inputGradient[0]!.ToArray());
    }

    [Fact]
    public void Backward_FunctionalModelReadingSomePiecesInDifferentLayers_MatchesNumericalGradients()
    {
        // x -> Dense(6) -> split into 3: piece 0 -> Dense(2), piece 2 times piece 0; piece 1 unread. The Dense before the
        // split gets the gradients of both pieces summed back into place (and 0 for piece 1).
        var x = new Input(4);
        SymbolicTensor[] pieces = new Split(3, axis: -1).CallOutputs(new Dense(6).Call(x));
        SymbolicTensor head = new Dense(2).Call(pieces[0]);
        SymbolicTensor gated = new Multiply().Call(pieces[2], pieces[0]);
        var model = new Functional(x, [head, gated], seed: 5);

        ModelGradientChecker.Check(model, [TestData.Normal(44, 1f, 3, 4)], seed: 45).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(4, "Split 'cut' splits axis -1 of (None, 2, 6) into 4 equal sections, but its size 6 is not a multiple of 4")]
    [InlineData(-3, "Split 'cut' splits along axis -3, which an input of shape (None, 2, 6) does not have among its sample axes (expected 1 to 2, or -1 to -2")]
    public void Build_SplitThatCannotCut_IsRefusedNamingTheLayerAndShapes(int sectionsOrAxis, string expected)
    {
        Split split = sectionsOrAxis > 0 ? new Split(sectionsOrAxis, -1, "cut") : new Split(2, sectionsOrAxis, "cut");
        var e = Assert.Throws<ArgumentException>(() => split.Build(new TensorShape(2, 6)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BadSplitAndUnstackArguments_AreRefusedNamingThem()
    {
        Assert.Contains("axis=0, Keras' default", Assert.Throws<ArgumentOutOfRangeException>(() => new Split(2, 0)).Message, StringComparison.Ordinal);
        Assert.Contains("Received: indices_or_sections=[3, 2]", Assert.Throws<ArgumentException>(() => new Split([3, 2], 1)).Message, StringComparison.Ordinal);
        Assert.Contains("Received: sections=0", Assert.Throws<ArgumentOutOfRangeException>(() => new Split(0, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("axis=0, Keras' default", Assert.Throws<ArgumentOutOfRangeException>(() => new Unstack(0)).Message, StringComparison.Ordinal);
        var unstack = new Unstack(1, num: 3, name: "steps");
        Assert.Contains("Unstack 'steps' unpacks axis 1 of (None, 4, 2) into num=3 outputs, but the axis has 4 entries", Assert.Throws<ArgumentException>(() => unstack.Build(new TensorShape(4, 2))).Message, StringComparison.Ordinal);
        var split = new Split([2, 6], 1, "cut");
        Assert.Contains("at [2, 6], but the last index must be less than the axis' size 6", Assert.Throws<ArgumentException>(() => split.Build(new TensorShape(6))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recreate_WhereSplitUnstack_KeepTheirConfigs()
    {
        Layer[] layers = [new Where("w"), new Where(null, -1e9f, "x"), new Where(0.5f, 2f, "y"), new Split(3, -1, "s"), new Split([1, 4], 2, "t"), new Unstack(1, null, "u"), new Unstack(-1, 4, "v")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }

        Assert.Equal("[1,4]", new Split([1, 4], 2).GetConfig().GetNode("indices_or_sections")!.ToJsonString());
    }

    [Fact]
    public void TrainingStep_WhereSplitUnstack_AllocateNothingAfterTheFirstBatch()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 3, 2), 9, -1f, 1f);
        var where = new Where();
        where.Build([new TensorShape(3, 2), new TensorShape(3, 2), new TensorShape(1, 2)]);
        Tensor x2 = Tensor.Ones(4, 1, 2), ones = Tensor.Ones(4, 3, 2);
        Tensor?[] slots = new Tensor?[3];
        void WhereStep()
        {
            where.Forward([x, ones, x2], training: true);
            where.Backward(ones, slots);
        }

        WhereStep();
        AllocationCheck.AssertNone(WhereStep);

        // With a number as x2 (ops.where(mask, scores, -1e9)).
        var masked = new Where(null, -1e9f);
        masked.Build([new TensorShape(3, 2), new TensorShape(3, 2)]);
        Tensor?[] two = new Tensor?[2];
        void MaskedStep()
        {
            masked.Forward([x, ones], training: true);
            masked.Backward(ones, two);
        }

        MaskedStep();
        AllocationCheck.AssertNone(MaskedStep);

        foreach (Layer layer in new Layer[] { new Split(3, 1), new Unstack(-1) })
        {
            layer.Build(new TensorShape(3, 2));
            layer.Forward(x, training: true);
            Tensor?[] gradients = [.. Enumerable.Range(0, layer.OutputCount).Select(k => k == 1 ? null : Tensor.Ones(layer.GetOutput(k).Shape.Dimensions))];
            Tensor?[] inputGradient = new Tensor?[1];
            void Step()
            {
                layer.Forward(x, training: true);
                layer.Backward(gradients, inputGradient);
            }

            Step();
            AllocationCheck.AssertNone(Step);
        }
    }

    [Theory]
    [InlineData("unstack", "Unstack 'cut' takes apart axis 1 of (None, None, 6), a variable axis (None)")]
    [InlineData("unstack5", "Unstack 'cut' takes apart axis 1 of (None, None, 6), a variable axis (None)")]
    [InlineData("split3", "Split 'cut' takes apart axis -2 of (None, None, 6), a variable axis (None)")]
    [InlineData("splitAt", "Split 'cut' takes apart axis 1 of (None, None, 6), a variable axis (None)")]
    public void CallOutputs_SplitOrUnstackAlongAVariableAxis_IsRefusedNamingTheLayerAndAxis(string kind, string expected)
    {
        var x = new Input([null, 6], "x");
        Layer layer = kind switch
        {
            "unstack" => new Unstack(1, name: "cut"),
            "unstack5" => new Unstack(1, num: 5, name: "cut"),
            "split3" => new Split(3, -2, "cut"),
            _ => new Split([1, 2], 1, "cut"),
        };

        var e = Assert.Throws<ArgumentException>(() => layer.CallOutputs(x));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("64", e.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
    }

    [Fact]
    public void Predict_SplitAndUnstackOfAFixedAxisBesideAVariableOne_GiveThePiecesAtEveryLength()
    {
        var x = new Input([null, 6], "x");
        SymbolicTensor[] halves = new Split(2, -1, "halves").CallOutputs(x);
        SymbolicTensor[] columns = new Unstack(2, name: "columns").CallOutputs(halves[1]);
        var model = new Functional([x], [halves[0], columns[2]], seed: 3);
        Assert.Equal([0], halves[0].VariableAxes);
        Assert.Equal([0], columns[2].VariableAxes);

        foreach (int length in new[] { 1, 3, 70 })
        {
            float[] values = new float[2 * length * 6];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (i * 0.37f) - 5f;
            }

            IReadOnlyList<Tensor> outputs = model.PredictOutputs(Tensor.FromArray(values, 2, length, 6));
            var first = new List<float>();
            var last = new List<float>();
            for (int row = 0; row < 2 * length; row++)
            {
                first.AddRange(values.AsSpan(row * 6, 3).ToArray());
                last.Add(values[(row * 6) + 5]);
            }

            Assert.Equal([2, length, 3], outputs[0].Shape.Dimensions.ToArray());
            Assert.Equal(first, outputs[0].ToArray());
            Assert.Equal([2, length], outputs[1].Shape.Dimensions.ToArray());
            Assert.Equal(last, outputs[1].ToArray());
        }
    }

    [Fact]
    public void Call_SplitWithSeveralPieces_SaysHowManyOutputsAndToCallCallOutputs()
    {
        var x = new Input(new TensorShape(2, 6), "x");
        var e = Assert.Throws<InvalidOperationException>(() => new Split(3, -1, "thirds").Call(x));
        Assert.Contains("Split 'thirds' has 3 outputs (", e.Message, StringComparison.Ordinal);
        Assert.Contains("the pieces of Split or Unstack); call CallOutputs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ComputeGradients_WhereConditionFromATrainableDense_GivesThatDenseZeroGradientsAtEveryStep()
    {
        // The condition gets no gradient (null): the Dense making it must get zeros, not the last step's values, and its
        // weights must stay as initialised through training while x1's and x2's Dense layers learn.
        var x = new Input(4);
        var condition = new Dense(3, name: "condition");
        var picked = new Dense(3, name: "picked");
        SymbolicTensor y = new Where().Call(condition.Call(x), picked.Call(x), new Dense(3, name: "other").Call(x));
        var model = new Functional(x, y, seed: 7);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        float[] pickedKernel = picked.Parameters[0].Value.ToArray();

        ConditionGradients.AssertNoneReachTheCondition(model, condition, picked, TestData.Normal(46, 1f, 8, 4), TestData.Normal(47, 1f, 8, 3));

        Assert.NotEqual(pickedKernel, picked.Parameters[0].Value.ToArray());
    }
}

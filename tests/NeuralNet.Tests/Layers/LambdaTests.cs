using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras 3's keras.layers.Lambda (keras/src/layers/core/lambda_layer.py): the forward pass is the user's function, the
// output shape is inferred by running it, and without `mask` the output has no mask. NeuralNet's backward pass is a second
// function (no autodiff), checked here against central differences.
public class LambdaTests
{
    [Fact]
    public void A_function_calling_another_models_Predict_runs_that_models_layers_as_its_own()
    {
        // Keras' Lambda may wrap a frozen model; its layers are not sublayers of the Lambda (nothing of them trains here).
        var encoder = new Sequential([new InputLayer(3), new Dense(2, name: "encoder_dense")], seed: 4);
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 3), 5);
        float[] encoded = encoder.Predict(x).ToArray();
        var model = new Sequential([new InputLayer(3), new Lambda((Tensor batch) => encoder.Predict(batch), name: "frozen_encoder"), new Dense(1, name: "head")], seed: 6);
        model.Compile(new Sgd(0.1), new MeanSquaredError());

        Tensor y = model.Predict(x);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(5, 1), 7), epochs: 2, batchSize: 5, verbose: 0);

        Assert.Equal(new TensorShape(5, 1), y.Shape);
        Assert.Equal(encoded, encoder.Predict(x).ToArray());
        Assert.Equal(2, model.Parameters.Count);
    }

    [Fact]
    public void Forward_OneInputFunction_GivesItsValuesInABufferOfTheLayers()
    {
        Tensor? returned = null;
        var layer = new Lambda(x => returned = LambdaFunctions.Square(x));
        Tensor input = Tensor.FromArray([1f, -2, 3, 0.5f, 4, -1], 2, 3);

        Tensor output = layer.Forward(input, training: false);

        Assert.Equal([1f, 4, 9, 0.25f, 16, 1], output.ToArray());
        Assert.Equal(new TensorShape(3), layer.OutputShape);
        Assert.Equal("lambda", layer.DefaultNamePrefix);
        Assert.False(output.SharesStorageWith(returned!));
    }

    [Fact]
    public void Build_FunctionChangingTheShape_InfersTheOutputShapeAndChecksOutputShape()
    {
        var doubled = new Lambda(LambdaFunctions.Antirectifier);
        doubled.Build(new TensorShape(5, 3));
        Assert.Equal(new TensorShape(5, 6), doubled.OutputShape);

        var declared = new Lambda(LambdaFunctions.Antirectifier, outputShape: [null, 6]);
        declared.Build(new TensorShape(5, 3));
        Assert.Equal(new TensorShape(5, 6), declared.OutputShape);

        var wrong = new Lambda(LambdaFunctions.Antirectifier, outputShape: [5, 3], name: "anti");
        var ex = Assert.Throws<ArgumentException>(() => wrong.Build(new TensorShape(5, 3)));
        Assert.Contains("Lambda 'anti'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 5, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 5, 6)", ex.Message, StringComparison.Ordinal);
        Assert.False(wrong.IsBuilt);

        Assert.Throws<ArgumentOutOfRangeException>(() => new Lambda(LambdaFunctions.Square, outputShape: [0]));
    }

    [Fact]
    public void Build_FunctionDroppingTheBatchAxisOrFailing_IsRefusedNamingTheLayer()
    {
        var summed = new Lambda(x => Tensor.FromArray(new[] { x.Sum() }, 1, 1), name: "total");
        var ex = Assert.Throws<ArgumentException>(() => summed.Build(new TensorShape(3)));
        Assert.Contains("Lambda 'total'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 1)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("batch", ex.Message, StringComparison.Ordinal);

        var failing = new Lambda(v => v[0] + v[1], name: "pair");
        ex = Assert.Throws<ArgumentException>(() => failing.Build(new TensorShape(3), new TensorShape(4)));
        Assert.Contains("Lambda 'pair'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3), (2, 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_ResultOfAnotherShapeThanBuilt_IsRefusedNamingBothShapes()
    {
        // A function that keeps two rows whatever the batch: right for the build's batch of 2, wrong for 3.
        var layer = new Lambda(x => x.Slice(0, 2), name: "firsts");
        layer.Build(new TensorShape(4));

        var ex = Assert.Throws<InvalidOperationException>(() => layer.Forward(TestData.Normal(1, 1f, 3, 4), training: false));

        Assert.Contains("Lambda 'firsts'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 4)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_OneInputWithGradient_MatchesNumericalGradients()
    {
        var layer = new Lambda(LambdaFunctions.Cube, LambdaFunctions.CubeGradient);
        GradientChecker.CheckLayer(layer, TestData.Normal(2, 1f, 4, 3, 2), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_TwoInputsWithGradient_MatchesNumericalGradients()
    {
        var layer = new Lambda(LambdaFunctions.EuclideanDistance, LambdaFunctions.EuclideanDistanceGradient);
        Tensor a = TestData.Normal(4, 1f, 5, 6), b = TestData.Normal(5, 1f, 5, 6);

        Tensor distance = layer.Forward([a, b], training: false);

        Assert.Equal(new TensorShape(5, 1), distance.Shape);
        for (int row = 0; row < 5; row++)
        {
            double sum = 0;
            for (int j = 0; j < 6; j++)
            {
                sum += Math.Pow(a[row, j] - b[row, j], 2);
            }

            Assert.Equal(Math.Sqrt(sum), distance[row, 0], 5);
        }

        MultiInputGradientChecker.CheckLayer(layer, [a, b], seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_GradientOfTheWrongShapeOrCount_IsRefusedNamingTheLayer()
    {
        var one = new Lambda(LambdaFunctions.Square, (x, y, g) => g.Slice(0, 1), name: "sq");
        one.Forward(TestData.Normal(7, 1f, 3, 2), training: true);
        var ex = Assert.Throws<InvalidOperationException>(() => one.Backward(TestData.Normal(8, 1f, 3, 2)));
        Assert.Contains("Lambda 'sq'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", ex.Message, StringComparison.Ordinal);

        var two = new Lambda(LambdaFunctions.EuclideanDistance, (v, y, g) => [g], name: "dist");
        two.Forward([TestData.Normal(9, 1f, 3, 2), TestData.Normal(10, 1f, 3, 2)], training: true);
        ex = Assert.Throws<InvalidOperationException>(() => two.Backward(TestData.Normal(11, 1f, 3, 1), new Tensor?[2]));
        Assert.Contains("Lambda 'dist'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1 gradient(s) for 2 input(s)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_NullGradientForAnInput_GivesThatInputNone()
    {
        // d(a * 2)/da only: b feeds nothing.
        var layer = new Lambda(v => v[0] * 2f, (v, y, g) => [g * 2f, null]);
        Tensor a = TestData.Normal(12, 1f, 2, 3), b = TestData.Normal(13, 1f, 2, 3);
        layer.Forward([a, b], training: true);
        var gradients = new Tensor?[2];

        layer.Backward(Tensor.Ones(2, 3), gradients);

        Assert.Equal(Enumerable.Repeat(2f, 6), gradients[0]!.ToArray());
        Assert.Null(gradients[1]);
    }

    [Fact]
    public void Fit_WithoutGradientAndTrainableLayersBefore_IsRefusedBeforeAnyWeightChanges()
    {
        var x = new Input(3);
        var first = new Dense(4, name: "first");
        SymbolicTensor h = new Lambda(LambdaFunctions.Square, name: "square").Call(first.Call(x));
        var model = new Functional(x, new Dense(1, name: "head").Call(h), seed: 1);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        float[][] before = [.. model.Parameters.Select(p => p.Value.ToArray())];
        Tensor inputs = TestData.Normal(14, 1f, 8, 3), targets = TestData.Normal(15, 1f, 8, 1);

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(inputs, targets, epochs: 1, batchSize: 4, verbose: 0));
        Assert.Contains("Lambda 'square'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gradient:", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Fit", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(inputs, targets));
        Assert.Contains("TrainOnBatch", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => model.ComputeGradients(inputs, targets));

        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i], model.Parameters[i].Value.ToArray());
            Assert.All(model.Parameters[i].Gradient.ToArray(), g => Assert.Equal(0f, g));
        }

        // Inference needs no gradient; and with the layer before it frozen, neither does training.
        Assert.Equal(new TensorShape(8, 1), model.Predict(inputs).Shape);
        first.Trainable = false;
        model.Fit(inputs, targets, epochs: 1, batchSize: 4, verbose: 0);

        // Unfrozen again between steps (as from a callback): the next step is refused before its forward pass.
        first.Trainable = true;
        Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(inputs, targets));
    }

    [Fact]
    public void Fit_CallbackUnfreezingTheLayerBefore_IsRefusedAtTheNextStepBeforeItsForwardPass()
    {
        var x = new Input(3);
        var first = new Dense(4, name: "first") { Trainable = false };
        SymbolicTensor h = new Lambda(LambdaFunctions.Square, name: "square").Call(first.Call(x));
        var model = new Functional(x, new Dense(1, name: "head").Call(h), seed: 7);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        float[][]? atEpochEnd = null;
        var unfreeze = new LambdaCallback(onEpochEnd: (epoch, logs) =>
        {
            atEpochEnd = [.. model.Parameters.Select(p => p.Value.ToArray())];
            first.Trainable = true;
        });

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(TestData.Normal(24, 1f, 8, 3), TestData.Normal(25, 1f, 8, 1), epochs: 2, batchSize: 4, callbacks: [unfreeze], verbose: 0));

        Assert.Contains("Lambda 'square'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a training step", ex.Message, StringComparison.Ordinal);
        for (int i = 0; i < atEpochEnd!.Length; i++)
        {
            Assert.Equal(atEpochEnd[i], model.Parameters[i].Value.ToArray());
        }
    }

    [Fact]
    public void TimeDistributed_Lambda_RunsOnEveryStepWhenItsFunctionsAreRegistered()
    {
        // TimeDistributed makes its inner layer again from the layer's configuration, which names the functions.
        LambdaFunctions.Register();
        var layer = new TimeDistributed(new Lambda(LambdaFunctions.SquareFunction, LambdaFunctions.SquareGradientFunction));
        Tensor input = TestData.Normal(23, 1f, 2, 3, 4);
        Assert.Equal(LambdaFunctions.Square(input).ToArray(), layer.Forward(input, training: false).ToArray());
        GradientChecker.CheckLayer(layer, input, seed: 26).AssertPassed(maxKinkFraction: 0);

        var ex = Assert.Throws<NotSupportedException>(() => new TimeDistributed(new Lambda(v => v * 3f, name: "thrice")).Build(new TensorShape(3, 4)));
        Assert.Contains("Lambda 'thrice'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_WithoutGradientRightAfterTheInput_TrainsTheLayersAfterIt()
    {
        var model = new Sequential(seed: 2);
        model.Add(new InputLayer(3));
        model.Add(new Lambda(LambdaFunctions.Square));
        model.Add(new Dense(1));
        model.Compile(new Adam(0.05), new MeanSquaredError());
        Tensor inputs = TestData.Normal(16, 1f, 64, 3);
        Tensor targets = new(64, 1);
        for (int i = 0; i < 64; i++)
        {
            targets[i, 0] = (inputs[i, 0] * inputs[i, 0]) - (2 * inputs[i, 2] * inputs[i, 2]) + 1;
        }

        History history = model.Fit(inputs, targets, epochs: 40, batchSize: 16, verbose: 0);

        Assert.True(history["loss"][^1] < 0.05 * history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");
    }

    [Fact]
    public void Fit_SiameseModelWithEuclideanDistance_ReducesTheLossAndMatchesNumericalGradients()
    {
        // Keras' Siamese tutorial (keras.io/examples/vision/siamese_network): one tower on both inputs, the Euclidean
        // distance of the two embeddings, then Dense(1, sigmoid) on it.
        var left = new Input(new TensorShape(6), "left");
        var right = new Input(new TensorShape(6), "right");
        var tower = new Dense(4, ActivationFunction.Tanh, name: "tower");
        SymbolicTensor distance = new Lambda(LambdaFunctions.EuclideanDistance, LambdaFunctions.EuclideanDistanceGradient, name: "distance")
            .Call(tower.Call(left), tower.Call(right));
        var model = new Functional([left, right], new Dense(1, ActivationFunction.Sigmoid, name: "similar").Call(distance), seed: 3);
        (Tensor a, Tensor b, Tensor same) = Pairs(17, 128);

        ModelGradientChecker.Check(model, [a.Slice(0, 6), b.Slice(0, 6)], seed: 4).AssertPassed(maxKinkFraction: 0);

        model.Compile(new Adam(0.02), new BinaryCrossEntropy());
        History history = model.Fit([a, b], same, epochs: 30, batchSize: 32, verbose: 0);
        Assert.True(history["loss"][^1] < 0.6 * history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");
    }

    [Fact]
    public void Call_SharedLambdaWhoseFunctionReusesOneBuffer_GivesEachCallItsOwnOutput()
    {
        // The function returns the same buffer on every call; the layer copies it, so the first call's output survives the second.
        Tensor? buffer = null;
        var layer = new Lambda(x =>
        {
            if (buffer is null || buffer.Shape != x.Shape)
            {
                buffer = new Tensor(x.Shape);
            }

            Tensor.Multiply(x, x, buffer);
            return buffer;
        });
        var a = new Input(3);
        var b = new Input(3);
        var model = new Functional([a, b], new Subtract().Call(layer.Call(a), layer.Call(b)));
        Tensor x1 = Tensor.FromArray([1f, 2, 3], 1, 3), x2 = Tensor.FromArray([1f, 1, 1], 1, 3);

        Assert.Equal([0f, 3, 8], model.Predict([x1, x2]).ToArray());
    }

    [Fact]
    public void Predict_VariableAxis_RunsTheFunctionForEveryLength()
    {
        var x = new Input([null, 2], "x");
        var model = new Functional(x, new Lambda(LambdaFunctions.Antirectifier, outputShape: [null, 4]).Call(x));
        Assert.Equal("(None, None, 4)", model.Outputs[0].BatchString);

        foreach (int length in new[] { 5, 64, 128 })
        {
            Tensor input = TestData.Normal(length, 1f, 2, length, 2);
            Tensor output = model.Predict(input);
            Assert.Equal(new TensorShape(2, length, 4), output.Shape);
            Assert.Equal(LambdaFunctions.Antirectifier(input).ToArray(), output.ToArray());
        }
    }

    [Fact]
    public void Forward_MaskedInput_GivesNoMask()
    {
        // Keras' Lambda without `mask`: supports_masking is False and compute_mask returns None.
        var layer = new Lambda(LambdaFunctions.Square);
        layer.Forward(TestData.Normal(18, 1f, 2, 3, 4), Tensor.Ones(2, 3), training: false);
        Assert.Null(layer.OutputMask);
        Assert.False(layer.SupportsMasking);
    }

    [Fact]
    public void Backward_WithoutGradientWhenOneIsNeeded_ThrowsNamingTheLayer()
    {
        var layer = new Lambda(LambdaFunctions.Square, name: "sq");
        layer.Forward(TestData.Normal(19, 1f, 2, 3), training: true);
        var ex = Assert.Throws<InvalidOperationException>(() => layer.Backward(Tensor.Ones(2, 3)));
        Assert.Equal(
            "Lambda 'sq' has no gradient function, so Backward cannot compute the gradient with respect to its input (NeuralNet has no automatic differentiation): pass gradient: to the Lambda.",
            ex.Message);
    }

    // Pairs of 6-feature vectors: "same" (1) pairs are a vector and a slightly perturbed copy, the others unrelated.
    private static (Tensor A, Tensor B, Tensor Same) Pairs(long seed, int count)
    {
        Tensor a = TestData.Normal(seed, 1f, count, 6), noise = TestData.Normal(seed + 1, 0.1f, count, 6), other = TestData.Normal(seed + 2, 1f, count, 6);
        var b = new Tensor(count, 6);
        var same = new Tensor(count, 1);
        for (int i = 0; i < count; i++)
        {
            bool isSame = i % 2 == 0;
            same[i, 0] = isSame ? 1f : 0f;
            for (int j = 0; j < 6; j++)
            {
                b[i, j] = isSame ? a[i, j] + noise[i, j] : other[i, j];
            }
        }

        return (a, b, same);
    }
}

using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>Layer.Trainable and Model.Trainable: Keras' per-layer freezing for fine-tuning.</summary>
public class FreezingTests
{
    private static (Tensor X, Tensor Y) Data(int samples = 64) => ModelTestData.Classification(samples, 6, 3, seed: 11);

    private static Sequential Classifier(Layer first, Layer? middle = null, long seed = 5)
    {
        var layers = new List<Layer> { new InputLayer(6), first };
        if (middle is not null)
        {
            layers.Add(middle);
        }

        layers.Add(new Dense(3, ActivationFunction.Softmax));
        var model = new Sequential(layers, seed: seed);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        return model;
    }

    private static float[][] Values(Layer layer) => [.. layer.Parameters.Select(p => p.Value.ToArray())];

    [Fact]
    public void Fit_FrozenDense_KeepsItsWeightsWhileOthersChange()
    {
        (Tensor x, Tensor y) = Data();
        var frozen = new Dense(8, ActivationFunction.Relu) { Trainable = false };
        var trained = new Dense(5, ActivationFunction.Tanh);
        Sequential model = Classifier(frozen, trained);
        float[][] frozenBefore = Values(frozen), trainedBefore = Values(trained);

        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);

        Assert.False(frozen.Trainable);
        Assert.All(frozen.Parameters, p => Assert.False(p.Trainable));
        Assert.Equal(frozenBefore, Values(frozen));
        Assert.NotEqual(trainedBefore[0], trained.Parameters[0].Value.ToArray());
        Assert.Equal(0, frozen.TrainableParameterCount);
        Assert.Equal(model.ParameterCount - frozen.ParameterCount, model.TrainableParameterCount);
        Assert.Contains("Non-trainable params: " + frozen.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), model.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_FrozenAfterCompileAndFit_TakesEffectAtTheNextFitWithoutRecompiling()
    {
        (Tensor x, Tensor y) = Data();
        var first = new Dense(8, ActivationFunction.Relu);
        Sequential model = Classifier(first);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        float[][] afterFirstFit = Values(first);

        first.Trainable = false;
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Assert.Equal(afterFirstFit, Values(first));

        first.Trainable = true;
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Assert.NotEqual(afterFirstFit[0], first.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void Fit_FrozenBase_MatchesTrainingTheHeadAloneOnTheBaseOutputs()
    {
        // Freezing the base must give the head exactly the updates it gets when trained alone on the base's fixed
        // outputs: the backward pass stops at the head (no input gradient computed), and nothing else changes.
        (Tensor x, Tensor y) = Data();
        var baseLayer = new Dense(8, ActivationFunction.Relu);
        var head = new Dense(3, ActivationFunction.Softmax);
        var model = new Sequential([new InputLayer(6), baseLayer, head], seed: 5);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        Tensor features = FeaturesOf(baseLayer, x);
        var headAlone = (Dense)SerializationRegistry.Recreate(head);
        var alone = new Sequential([new InputLayer(8), headAlone], seed: 1);
        head.Parameters.Zip(headAlone.Parameters).ToList().ForEach(pair => pair.First.Value.CopyTo(pair.Second.Value));
        alone.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());

        baseLayer.Trainable = false;
        model.Fit(x, y, epochs: 2, batchSize: 16, shuffle: false, verbose: 0);
        alone.Fit(features, y, epochs: 2, batchSize: 16, shuffle: false, verbose: 0);

        Assert.Equal(Values(headAlone), Values(head));
        Assert.False(head.ComputesInputGradient);
    }

    private static Tensor FeaturesOf(Dense layer, Tensor x)
    {
        var copy = (Dense)SerializationRegistry.Recreate(layer);
        var model = new Sequential([new InputLayer(6), copy], seed: 1);
        copy.Parameters.Zip(layer.Parameters).ToList().ForEach(pair => pair.Second.Value.CopyTo(pair.First.Value));
        return model.Predict(x, batchSize: 16);
    }

    [Fact]
    public void Fit_SameSeedWithFrozenLayer_SameBits()
    {
        (Tensor x, Tensor y) = Data();
        float[][] Run()
        {
            Sequential model = Classifier(new Dense(8, ActivationFunction.Relu) { Trainable = false }, new BatchNormalization(), seed: 9);
            model.Fit(x, y, epochs: 2, batchSize: 16, seed: 3, verbose: 0);
            return [.. model.Parameters.Select(p => p.Value.ToArray())];
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void TrainStep_FrozenLayers_AllocatesNothingAfterWarmUp()
    {
        (Tensor x, Tensor y) = Data(64);
        Sequential model = Classifier(new Dense(8, ActivationFunction.Relu) { Trainable = false }, new BatchNormalization { Trainable = false });
        model.Fit(x, y, epochs: 1, batchSize: 64, verbose: 0);
        model.TrainStep(x, y);

        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.TrainStep(x, y);
            }
        });
    }

    [Fact]
    public void Fit_FrozenLayerWithRegularizer_PenaltyLeavesTheLoss()
    {
        (Tensor x, Tensor y) = Data();
        var regularized = new Dense(8, ActivationFunction.Relu, kernelRegularizer: new L2(10));
        Sequential model = Classifier(regularized);
        float withPenalty = model.Evaluate(x, y, verbose: 0)["loss"] is double a ? (float)a : float.NaN;

        regularized.Trainable = false;
        float withoutPenalty = model.Evaluate(x, y, verbose: 0)["loss"] is double b ? (float)b : float.NaN;

        double penalty = new L2(10).Penalty(regularized.Parameters[0].Value.AsReadOnlySpan());
        Assert.Equal(withPenalty - penalty, withoutPenalty, 3);
    }

    [Fact]
    public void BatchNormalization_FrozenInTraining_UsesAndKeepsMovingStatistics()
    {
        var layer = new BatchNormalization { Trainable = false };
        layer.Build(new TensorShape(2));
        layer.MovingMean.Value.AsSpan()[0] = 1f;
        layer.MovingVariance.Value.AsSpan()[1] = 4f;
        Tensor input = Tensor.FromArray([1, 10, 3, 30], 2, 2);

        float[] training = layer.Forward(input, training: true).ToArray();
        float[] inference = layer.Forward(input, training: false).ToArray();

        Assert.Equal(inference, training);
        Assert.Equal(new float[] { 1f, 0f }, layer.MovingMean.Value.ToArray());
        Assert.Equal(new float[] { 1f, 4f }, layer.MovingVariance.Value.ToArray());
    }

    [Fact]
    public void Fit_FrozenBatchNormalization_KeepsMovingStatisticsAndUsesThemInTraining()
    {
        (Tensor x, Tensor y) = Data();
        var norm = new BatchNormalization();
        Sequential model = Classifier(new Dense(8, ActivationFunction.Relu), norm);
        norm.MovingMean.Value.AsSpan().Fill(0.25f);
        norm.MovingVariance.Value.AsSpan().Fill(2f);
        norm.Trainable = false;
        float[] gammaBefore = norm.Gamma!.Value.ToArray();

        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);

        Assert.All(norm.MovingMean.Value.ToArray(), v => Assert.Equal(0.25f, v));
        Assert.All(norm.MovingVariance.Value.ToArray(), v => Assert.Equal(2f, v));
        Assert.Equal(gammaBefore, norm.Gamma.Value.ToArray());

        // A training forward pass now gives the inference output: the moving statistics are used.
        Tensor batch = x.Slice(0, 16);
        float[] training = model.Forward(batch, training: true)[0].ToArray();
        float[] inference = model.Predict(batch).ToArray();
        Assert.Equal(inference, training);
    }

    [Fact]
    public void ModelTrainable_False_FreezesEveryLayerAndALayerCanBeUnfrozen()
    {
        var hidden = new Dense(8);
        var top = new Dense(3);
        var model = new Sequential([new InputLayer(6), hidden, new BatchNormalization(), top]);

        model.Trainable = false;
        Assert.False(model.Trainable);
        Assert.All(model.Layers, l => Assert.False(l.Trainable));
        Assert.Equal(0, model.TrainableParameterCount);

        top.Trainable = true;
        Assert.Equal(top.ParameterCount, model.TrainableParameterCount);
    }

    [Fact]
    public void SharedLayer_FrozenAndUnfrozen_TakesEffectInEveryModelThatCallsIt()
    {
        // Each model replans its backward pass from the versions of its own layers: a layer two models share must
        // replan both, whichever model the change came through.
        (Tensor x, Tensor y) = Data();
        var shared = new Dense(8, ActivationFunction.Relu) { Trainable = false };
        var inputA = new Input(new TensorShape(6), "a");
        var inputB = new Input(new TensorShape(6), "b");
        var modelA = new Functional(inputA, new Dense(3, ActivationFunction.Softmax).Call(shared.Call(inputA)), seed: 3);
        var modelB = new Functional(inputB, new Dense(3, ActivationFunction.Softmax).Call(shared.Call(inputB)), seed: 4);
        modelA.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        modelB.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        modelA.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        modelB.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        float[][] frozen = Values(shared);

        shared.Trainable = true;
        modelB.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        float[][] trainedThroughB = Values(shared);
        Assert.NotEqual(frozen[0], trainedThroughB[0]);

        modelA.Trainable = false;
        modelB.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Assert.Equal(trainedThroughB, Values(shared));
    }

    public static TheoryData<string> MiddleLayerKinds => ["dense", "conv1d", "conv2d", "conv2d-pooled", "conv2d-grouped"];

    [Theory]
    [MemberData(nameof(MiddleLayerKinds))]
    public void FrozenMiddleLayer_SkipsItsOwnGradientButPassesTheInputGradientOn(string kind)
    {
        // A frozen layer between trainable ones must still hand the layers below it the exact gradient, while its own
        // weight gradient (nobody reads it) is not computed: one SGD step must give the bottom layer the same bits as in
        // the same model with nothing frozen.
        (Sequential frozenModel, Layer frozenMiddle, Layer frozenBottom) = MiddleFrozenModel(kind, freeze: true);
        (Sequential fullModel, _, Layer fullBottom) = MiddleFrozenModel(kind, freeze: false);
        TensorShape inputShape = frozenModel.Layers[0].OutputShape;
        Tensor x = Tensor.RandomNormal(inputShape.Prepend(4), 21);
        var y = new Tensor(new TensorShape(4, 3));
        for (int i = 0; i < 4; i++)
        {
            y[i, i % 3] = 1f;
        }

        float[] bottomBefore = frozenBottom.Parameters[0].Value.ToArray();
        frozenModel.TrainOnBatch(x, y);
        fullModel.TrainOnBatch(x, y);

        Assert.Equal(Values(fullBottom), Values(frozenBottom));
        Assert.NotEqual(bottomBefore, frozenBottom.Parameters[0].Value.ToArray());

        // The optimizer clears every gradient after its step, so the skipped product shows on a direct backward pass.
        Tensor hidden = frozenBottom.Forward(x, training: true);
        Tensor output = frozenMiddle.Forward(hidden, training: true);
        Tensor inputGradient = frozenMiddle.Backward(Tensor.RandomNormal(output.Shape, 22));
        Assert.Equal(hidden.Shape, inputGradient.Shape);
        Assert.NotEqual(0f, inputGradient.ToArray().Max(Math.Abs));
        Assert.All(frozenMiddle.Parameters, p => Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g)));
    }

    private static (Sequential Model, Layer Middle, Layer Bottom) MiddleFrozenModel(string kind, bool freeze)
    {
        (Layer input, Layer bottom, Layer middle, Layer? pooling) = kind switch
        {
            "dense" => ((Layer)new InputLayer(6), (Layer)new Dense(8, ActivationFunction.Tanh), (Layer)new Dense(7, ActivationFunction.Relu), (Layer?)null),
            "conv1d" => (new InputLayer(9, 2), new Conv1D(8, 3), new Conv1D(6, 3, activation: ActivationFunction.Relu), null),
            "conv2d" => (new InputLayer(8, 8, 2), new Conv2D(8, 3), new Conv2D(6, 3, activation: ActivationFunction.Relu), null),
            "conv2d-pooled" => (new InputLayer(8, 8, 2), new Conv2D(8, 3), new Conv2D(8, 3, activation: ActivationFunction.Relu), new MaxPooling2D(2)),
            _ => (new InputLayer(8, 8, 2), new Conv2D(8, 3), new Conv2D(6, 3, groups: 2, activation: ActivationFunction.Relu), null),
        };
        middle.Trainable = !freeze;
        var layers = new List<Layer> { input, bottom, middle };
        if (pooling is not null)
        {
            layers.Add(pooling);
        }

        if (kind != "dense")
        {
            layers.Add(new Flatten());
        }

        layers.Add(new Dense(3, ActivationFunction.Softmax));
        var model = new Sequential(layers, seed: 9);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        return (model, middle, bottom);
    }

    [Fact]
    public void WrapperTrainable_False_FreezesItsInnerLayers()
    {
        var td = new TimeDistributed(new BatchNormalization());
        var bi = new Bidirectional(new Lstm(3, returnSequences: true));
        _ = new Sequential([new InputLayer(4, 5), bi, td]);

        td.Trainable = false;
        bi.Trainable = false;

        Assert.False(td.InnerLayer.Trainable);
        Assert.False(bi.ForwardLayer.Trainable);
        Assert.False(bi.BackwardLayer.Trainable);
        Assert.Equal(0, td.TrainableParameterCount + bi.TrainableParameterCount);
        var input = Tensor.RandomNormal(new TensorShape(2, 4, 6), 3);
        float[] movingMean = td.InnerLayer.Parameters.Single(p => p.Name.EndsWith("moving_mean", StringComparison.Ordinal)).Value.ToArray();
        td.Forward(input, training: true);
        Assert.Equal(movingMean, td.InnerLayer.Parameters.Single(p => p.Name.EndsWith("moving_mean", StringComparison.Ordinal)).Value.ToArray());
    }

    [Fact]
    public void FrozenBeforeBuild_ParametersCreatedFrozen()
    {
        var layer = new Dense(4) { Trainable = false };
        layer.Build(new TensorShape(3));
        Assert.All(layer.Parameters, p => Assert.False(p.Trainable));
        Assert.Equal(0, layer.TrainableParameterCount);
        Assert.False(layer.GetConfig().GetBoolean("trainable"));
    }

    [Fact]
    public void SaveLoad_FrozenLayers_StayFrozenAndTrainingKeepsTheirWeights()
    {
        (Tensor x, Tensor y) = Data();
        var frozen = new Dense(8, ActivationFunction.Relu);
        var norm = new BatchNormalization();
        Sequential model = Classifier(frozen, norm);
        frozen.Trainable = false;
        norm.Trainable = false;
        using var dir = new TempDirectory();
        model.Save(dir.File("frozen.safetensors"));

        Model loaded = Model.Load(dir.File("frozen.safetensors"));

        Assert.Equal([false, false, true], loaded.Layers.Skip(1).Select(l => l.Trainable));
        Assert.Equal(model.TrainableParameterCount, loaded.TrainableParameterCount);
        float[][] before = Values(loaded.Layers[1]);
        float[][] statistics = Values(loaded.Layers[2]);
        loaded.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        Assert.Equal(before, Values(loaded.Layers[1]));
        Assert.Equal(statistics, Values(loaded.Layers[2]));
    }

    [Fact]
    public void SaveLoad_FrozenWrapperAndFrozenFunctionalModel_RoundTrip()
    {
        var input = new Input(4, 5);
        var bi = new Bidirectional(new Lstm(3));
        var model = new Functional(input, new Dense(2).Call(bi.Call(input)));
        bi.Trainable = false;
        using var dir = new TempDirectory();
        model.Save(dir.File("bi.safetensors"), includeOptimizer: false);

        Model loaded = Model.Load(dir.File("bi.safetensors"));
        var loadedBi = (Bidirectional)loaded.Layers.Single(l => l is Bidirectional);
        Assert.False(loadedBi.Trainable);
        Assert.False(loadedBi.ForwardLayer.Trainable);
        Assert.Equal(model.TrainableParameterCount, loaded.TrainableParameterCount);

        model.Trainable = false;
        model.Save(dir.File("all.safetensors"), includeOptimizer: false);
        Model all = Model.Load(dir.File("all.safetensors"));
        Assert.False(all.Trainable);
        Assert.Equal(0, all.TrainableParameterCount);
    }

    // Keras-style configurations edited into a model file's model_config, as Keras would write them.
    private static Model LoadEdited(Model model, Action<JsonObject> editLayerConfig, string layerClass)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        JsonNode root = JsonNode.Parse(metadata["model_config"])!;
        editLayerConfig(root["config"]!["layers"]!.AsArray().First(l => (string)l!["class_name"]! == layerClass)!["config"]!.AsObject());
        metadata["model_config"] = root.ToJsonString();
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return Model.Load(stream, "edited.model");
    }

    [Fact]
    public void Load_KerasConfigWithTrainableFalse_LoadsFrozen()
    {
        Sequential model = Classifier(new Dense(8, ActivationFunction.Relu));
        Assert.True(model.Layers[1].GetConfig().GetBoolean("trainable"));

        Model loaded = LoadEdited(model, c => c["trainable"] = false, "Dense");

        Assert.False(loaded.Layers[1].Trainable);
        Assert.True(loaded.Layers[2].Trainable);
        Assert.Equal(model.TrainableParameterCount - model.Layers[1].ParameterCount, loaded.TrainableParameterCount);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void Load_BatchNormalizationPositiveLastAxis_PredictsAsAxisMinusOne(int axis)
    {
        var model = new Sequential([new InputLayer(4, 4, 3), new Conv2D(3, 3, padding: Padding.Same), new BatchNormalization()], seed: 2);
        model.Compile(new Sgd(), new MeanSquaredError());
        var y = Tensor.RandomNormal(new TensorShape(8, 4, 4, 3), 5);
        var x = Tensor.RandomNormal(new TensorShape(8, 4, 4, 3), 6);
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);

        Model loaded = LoadEdited(model, c => c["axis"] = axis, "BatchNormalization");

        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
        Assert.Equal(axis, loaded.Layers[^1].GetConfig().GetInt32("axis"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-2)]
    public void Load_BatchNormalizationOtherAxis_RefusedWithTheAxisMessage(int axis)
    {
        var model = new Sequential([new InputLayer(4, 4, 3), new BatchNormalization()], seed: 2);

        var ex = Assert.Throws<InvalidDataException>(() => LoadEdited(model, c => c["axis"] = axis, "BatchNormalization"));

        Assert.Contains("only \"axis\": -1 (channels last) is supported", ex.Message, StringComparison.Ordinal);
    }

    // Every Keras constraint argument is read by the layers that have it; on a layer Keras gives no such argument a
    // constraint is still refused. (activity_regularizer, a base Layer argument in Keras, loads on every layer.)
    [Theory]
    [InlineData("BatchNormalization", "kernel_constraint")]
    [InlineData("Embedding", "bias_constraint")]
    [InlineData("Dense", "gamma_constraint")]
    public void Load_ConstraintOnALayerWithoutIt_RefusedNamingLayerAndKey(string layerClass, string key)
    {
        Model model = layerClass switch
        {
            "Embedding" => new Sequential([new InputLayer(3), new Embedding(10, 4), new Flatten(), new Dense(2)]),
            "LSTM" => new Sequential([new InputLayer(3, 2), new Lstm(4)]),
            "Conv2D" => new Sequential([new InputLayer(4, 4, 1), new Conv2D(2, 3)]),
            _ => new Sequential([new InputLayer(3), new Dense(4), new BatchNormalization()]),
        };
        JsonNode constraint = JsonNode.Parse("""{"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}""")!;

        var ex = Assert.Throws<InvalidDataException>(() => LoadEdited(model, c => c[key] = constraint.DeepClone(), layerClass));

        string name = model.Layers.First(l => SerializationRegistry.Serialize(l)["class_name"]!.GetValue<string>() == layerClass).Name;
        Assert.Contains($"{layerClass} '{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{key}\" is not supported", ex.Message, StringComparison.Ordinal);

        // Null, as Keras writes it by default, loads.
        LoadEdited(model, c => c[key] = null, layerClass);
    }

    [Fact]
    public void BatchNormalization_InitializersAndRegularizers_HonouredAndRoundTripped()
    {
        var layer = new BatchNormalization(
            gammaInitializer: new NeuralNet.Initializers.Constant(2f),
            betaInitializer: new NeuralNet.Initializers.Constant(-1f),
            movingMeanInitializer: new NeuralNet.Initializers.Constant(0.5f),
            movingVarianceInitializer: new NeuralNet.Initializers.Constant(3f),
            gammaRegularizer: new L2(0.1),
            betaRegularizer: new L1(0.2));
        layer.Build(new TensorShape(2));
        Assert.Equal(new float[] { 2f, 2f }, layer.Gamma!.Value.ToArray());
        Assert.Equal(new float[] { -1f, -1f }, layer.Beta!.Value.ToArray());
        Assert.Equal(new float[] { 0.5f, 0.5f }, layer.MovingMean.Value.ToArray());
        Assert.Equal(new float[] { 3f, 3f }, layer.MovingVariance.Value.ToArray());
        Assert.NotNull(layer.Gamma.Regularizer);
        Assert.NotNull(layer.Beta.Regularizer);

        var copy = (BatchNormalization)SerializationRegistry.Recreate(layer);
        Assert.Equal(layer.GetConfig().ToJson(), copy.GetConfig().ToJson());
        copy.Build(new TensorShape(2));
        Assert.Equal(new float[] { 3f, 3f }, copy.MovingVariance.Value.ToArray());
        Assert.IsType<L2>(copy.GammaRegularizer);
    }
}

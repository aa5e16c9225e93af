using System.Text;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

public class ModelSerializationTests
{
    [Fact]
    public void SaveLoad_TrainedModel_PredictIsBitIdenticalAndConfigurationSurvives()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(96, 8, 3, seed: 1);
        var model = DenseModel();
        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, seed: 4);
        string path = dir.File("model.safetensors");

        model.Save(path);
        var loaded = Sequential.Load(path);

        Assert.Equal(Bits(model.Predict(x)), Bits(loaded.Predict(x)));
        Assert.Equal(model.Summary(), loaded.Summary());
        Assert.Equal("dense_net", loaded.Name);
        Assert.Equal(model.Seed, loaded.Seed);
        Assert.Equal(model.Layers.Select(l => (l.GetType(), l.Name)), loaded.Layers.Select(l => (l.GetType(), l.Name)));
        var d1 = (Dense)loaded.Layers[1];
        Assert.Equal(16, d1.Units);
        Assert.Same(ActivationFunction.Relu, d1.Activation);
        Assert.Equal(5L, Assert.IsType<HeNormal>(d1.KernelInitializer).Seed);
        Assert.Equal(1e-3f, Assert.IsType<L2>(d1.KernelRegularizer).Factor);
        Assert.Equal(0.25, ((Dropout)loaded.Layers[2]).Rate);
        var d2 = (Dense)loaded.Layers[3];
        Assert.Equal(0.1f, Assert.IsType<LeakyRelu>(d2.Activation).NegativeSlope);
        Assert.Equal(0.1f, Assert.IsType<Constant>(d2.BiasInitializer).Value);
        var l1l2 = Assert.IsType<L1L2>(d2.BiasRegularizer);
        Assert.Equal((1e-4f, 2e-4f), (l1l2.L1Factor, l1l2.L2Factor));
        Assert.Same(ActivationFunction.Tanh, ((Activation)loaded.Layers[4]).Function);
        var d3 = (Dense)loaded.Layers[5];
        Assert.False(d3.UseBias);
        Assert.Equal(0.5f, Assert.IsType<Elu>(d3.Activation).Alpha);
        var normal = Assert.IsType<RandomNormal>(d3.KernelInitializer);
        Assert.Equal((0.0, 0.1, (long?)9), (normal.Mean, normal.StandardDeviation, normal.Seed));
        Assert.IsType<GlorotNormal>(((Dense)loaded.Layers[6]).KernelInitializer);
        var adam = Assert.IsType<Adam>(loaded.Optimizer);
        Assert.Equal((0.01f, 0.9f, 0.999f, 1e-7f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon));
        Assert.Equal(model.Optimizer!.Iterations, adam.Iterations);
        Assert.IsType<CategoricalCrossEntropy>(loaded.Loss);
        Assert.IsType<Accuracy>(Assert.Single(loaded.Metrics));
    }

    public static TheoryData<string> LayerCases() => ["Flatten", "Dropout", "Activation", "DenseNoBias", "DenseGelu", "NoInputLayer"];

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void SaveLoad_EachLayerType_RoundTripsBitIdentically(string layerCase)
    {
        using var dir = new TempDirectory();
        Sequential model = layerCase switch
        {
            "Flatten" => new Sequential([new InputLayer(2, 3, 2), new Flatten(), new Dense(4)], seed: 1),
            "Dropout" => new Sequential([new InputLayer(12), new Dropout(0.5, seed: 77), new Dense(4)], seed: 2),
            "Activation" => new Sequential([new InputLayer(12), new Dense(5), new Activation(new Gelu(approximate: true))], seed: 3),
            "DenseNoBias" => new Sequential([new InputLayer(12), new Dense(5, ActivationFunction.Sigmoid, useBias: false, kernelInitializer: new RandomUniform(-1, 1, 3))], seed: 4),
            "DenseGelu" => new Sequential([new InputLayer(12), new Dense(5, ActivationFunction.Gelu, kernelInitializer: new HeUniform(), biasInitializer: new Ones())], seed: 5),
            _ => new Sequential([new Dense(3, kernelInitializer: new LeCunNormal(1))], seed: 6),
        };
        var x = Tensor.RandomNormal(new TensorShape(7, 12), 8);
        if (layerCase == "NoInputLayer")
        {
            model.Build(new TensorShape(12));
        }

        Tensor input = layerCase == "Flatten" ? x.Reshape(7, 2, 3, 2) : x;
        string path = dir.File("m.safetensors");

        model.Save(path, includeOptimizer: false);
        var loaded = Sequential.Load(path);

        Assert.Equal(Bits(model.Predict(input)), Bits(loaded.Predict(input)));
        Assert.Equal(model.Layers.Select(l => l.GetType()), loaded.Layers.Select(l => l.GetType()));
        Assert.False(loaded.IsCompiled);
        if (layerCase == "Dropout")
        {
            Assert.Equal(77L, ((Dropout)loaded.Layers[1]).MaskSeed);
        }
    }

    [Fact]
    public void Save_ModelFile_IsSafetensorsWithKerasStyleConfigAndNamedTensors()
    {
        var model = DenseModel();
        var (x, y) = Classification(32, 8, 3, seed: 2);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);

        var parsed = StrictSafeTensorsReader.Parse(stream.ToArray());

        var names = parsed.Tensors.Select(t => t.Name).ToList();
        Assert.Equal(["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_3/kernel", "dense_3/bias"], names.Take(7));
        Assert.Contains("optimizer/dense/kernel/momentum", names);
        Assert.Contains("optimizer/dense_3/bias/velocity", names);
        Assert.Equal("neuralnet.model", parsed.Metadata["format"]);
        string config = parsed.Metadata["model_config"];
        Assert.Contains("\"class_name\":\"Dense\"", config, StringComparison.Ordinal);
        Assert.Contains("\"units\":16", config, StringComparison.Ordinal);
        Assert.Contains("\"activation\":\"relu\"", config, StringComparison.Ordinal);
        Assert.Contains("\"kernel_initializer\":{\"class_name\":\"HeNormal\",\"config\":{\"seed\":5}}", config, StringComparison.Ordinal);
        Assert.Contains("\"use_bias\":false", config, StringComparison.Ordinal);
        Assert.Contains("\"batch_shape\":[null,8]", config, StringComparison.Ordinal);
        Assert.Contains("\"class_name\":\"Adam\"", parsed.Metadata["compile_config"], StringComparison.Ordinal);
        Assert.Contains("\"iterations\":2", parsed.Metadata["training_state"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("rmsprop")]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void Resume_FromCheckpointWithOptimizerState_EqualsUninterruptedTraining(string optimizerName)
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(80, 8, 3, seed: 3);
        Optimizer NewOptimizer() => optimizerName switch
        {
            "adam" => new Adam(0.01f),
            "rmsprop" => new RmsProp(0.01f, momentum: 0.5f, centered: true) { ClipNorm = 1f },
            "adamw" => new AdamW(0.01f, weightDecay: 0.5f) { WeightDecayExclusions = ["bias"] },
            _ => new Sgd(0.05f, momentum: 0.9f, nesterov: true) { ClipValue = 0.5f },
        };

        var uninterrupted = DenseModel(seed: 11, NewOptimizer());
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);

        var first = DenseModel(seed: 11, NewOptimizer());
        first.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        first.Save(dir.File("checkpoint.safetensors"));
        var resumed = Sequential.Load(dir.File("checkpoint.safetensors"));
        resumed.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);

        AssertSameWeights(uninterrupted, resumed);
        Assert.Equal(uninterrupted.Optimizer!.Iterations, resumed.Optimizer!.Iterations);
        Assert.Equal(uninterrupted.Optimizer.WeightDecayExclusions, resumed.Optimizer.WeightDecayExclusions);
    }

    [Fact]
    public void SaveLoad_LayerNamedOptimizer_LoadsAndResumesAsUninterruptedTraining()
    {
        // The layer's weights ("optimizer/kernel") share the prefix of the optimizer state ("optimizer/optimizer/kernel/momentum").
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 4);
        Sequential Make() => Compiled(
            new Sequential([new InputLayer(8), new Dense(6, ActivationFunction.Relu, name: "optimizer"), new Dense(3, ActivationFunction.Softmax, name: "out")], seed: 5),
            new Adam(0.01f));
        var uninterrupted = Make();
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        uninterrupted.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        var first = Make();
        first.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        first.Save(dir.File("full.safetensors"));
        first.Save(dir.File("no-optimizer.safetensors"), includeOptimizer: false);
        Assert.Contains("optimizer/optimizer/kernel/momentum", SafeTensors.Load(dir.File("full.safetensors")).Names);

        var resumed = Sequential.Load(dir.File("full.safetensors"));
        resumed.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        var restored = Make();
        ModelSerializer.RestoreTrainingState(restored, SafeTensors.Load(dir.File("full.safetensors")));
        restored.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);

        AssertSameWeights(uninterrupted, resumed);
        AssertSameWeights(uninterrupted, restored);
        AssertSameWeights(first, Sequential.Load(dir.File("no-optimizer.safetensors")));
    }

    [Theory]
    [InlineData("TimeDistributed")]
    [InlineData("Bidirectional")]
    public void Resume_WrapperAroundRandomLayer_EqualsUninterruptedTraining(string wrapper)
    {
        // The dropout masks of the layers wrappers run inside themselves are drawn from random streams of their own.
        using var dir = new TempDirectory();
        var x = Tensor.RandomNormal(new TensorShape(16, 5, 3), 11);
        var y = Tensor.RandomNormal(new TensorShape(16, 2), 12);
        Sequential Make()
        {
            Sequential model = wrapper == "TimeDistributed"
                ? new Sequential([new InputLayer(5, 3), new TimeDistributed(new Dropout(0.5)), new Flatten(), new Dense(2)], seed: 7)
                : new Sequential([new InputLayer(5, 3), new Bidirectional(new Lstm(4) { Dropout = 0.3, RecurrentDropout = 0.3 }), new Dense(2)], seed: 7);
            model.Compile(new Sgd(0.05f), new MeanSquaredError());
            return model;
        }

        var uninterrupted = Make();
        uninterrupted.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0, seed: 5);
        uninterrupted.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0, seed: 6);
        var first = Make();
        first.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0, seed: 5);
        first.Save(dir.File("checkpoint.safetensors"));
        var resumed = Sequential.Load(dir.File("checkpoint.safetensors"));
        resumed.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0, seed: 6);

        AssertSameWeights(uninterrupted, resumed);
    }

    [Fact]
    public void Resume_MidFitWithInitialEpochAndShuffling_EqualsUninterruptedTraining()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(80, 8, 3, seed: 5);

        var uninterrupted = DenseModel(seed: 13);
        uninterrupted.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0);

        // The same training, checkpointed after every epoch by ModelCheckpoint and "killed" after epoch 2.
        var interrupted = DenseModel(seed: 13);
        string path = dir.File("epoch-{epoch:02d}.safetensors");
        interrupted.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, callbacks: [new ModelCheckpoint(path)]);
        var resumed = Sequential.Load(dir.File("epoch-02.safetensors"));
        resumed.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, initialEpoch: 2);

        AssertSameWeights(uninterrupted, resumed);
        Assert.Equal(uninterrupted.Optimizer!.Iterations, resumed.Optimizer!.Iterations);
    }

    [Fact]
    public void Fit_InitialEpochOutOfRange_Throws()
    {
        var (x, y) = Classification(20, 8, 3, seed: 5);
        var model = DenseModel();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, epochs: 2, verbose: 0, initialEpoch: 3));
        Assert.Equal("initialEpoch", ex.ParamName);
    }

    [Fact]
    public void Resume_WithoutOptimizerState_Diverges()
    {
        // The control for the test above: without the saved state, training does not continue identically.
        using var dir = new TempDirectory();
        var (x, y) = Classification(80, 8, 3, seed: 3);
        var uninterrupted = DenseModel(seed: 11);
        uninterrupted.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        uninterrupted.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        var first = DenseModel(seed: 11);
        first.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        first.Save(dir.File("c.safetensors"), includeOptimizer: false);

        var resumed = Sequential.Load(dir.File("c.safetensors"));
        resumed.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);

        Assert.NotEqual(Bits(uninterrupted.GetWeights()[0]), Bits(resumed.GetWeights()[0]));
    }

    [Fact]
    public void SaveWeightsLoadWeights_IntoFreshModel_PredictIsBitIdentical()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(48, 8, 3, seed: 4);
        var model = DenseModel(seed: 1);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        string path = dir.File("w.safetensors");

        model.SaveWeights(path);
        var other = DenseModel(seed: 2);
        other.LoadWeights(path);

        Assert.Equal(Bits(model.Predict(x)), Bits(other.Predict(x)));
        Assert.Equal("neuralnet.weights", SafeTensors.Load(path).Metadata["format"]);
    }

    [Fact]
    public void LoadWeights_FromFullModelFile_IgnoresOptimizerState()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(32, 8, 3, seed: 5);
        var model = DenseModel(seed: 1);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        model.Save(dir.File("m.safetensors"));
        var other = DenseModel(seed: 2);

        other.LoadWeights(dir.File("m.safetensors"));

        AssertSameWeights(model, other);
    }

    [Fact]
    public void LoadWeights_ShapeMismatch_ThrowsNamingTensorAndShapesAndChangesNothing()
    {
        using var dir = new TempDirectory();
        var small = new Sequential([new InputLayer(8), new Dense(4, name: "hidden"), new Dense(3, name: "out")], seed: 1);
        small.SaveWeights(dir.File("w.safetensors"));
        var wide = new Sequential([new InputLayer(8), new Dense(5, name: "hidden"), new Dense(3, name: "out")], seed: 2);
        var before = wide.GetWeights().Select(Bits).ToList();

        var ex = Assert.Throws<InvalidDataException>(() => wide.LoadWeights(dir.File("w.safetensors")));

        Assert.Contains("tensor 'hidden/kernel'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[8, 4]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[8, 5]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, wide.GetWeights().Select(Bits).ToList());
    }

    [Fact]
    public void LoadWeights_MissingAndExtraTensors_ThrowNamingThem()
    {
        using var dir = new TempDirectory();
        var model = new Sequential([new InputLayer(4), new Dense(2, name: "a")], seed: 1);
        SafeTensors.Save(dir.File("missing.safetensors"), [new("a/kernel", Tensor.Ones(4, 2))]);
        SafeTensors.Save(dir.File("extra.safetensors"), [new("a/kernel", Tensor.Ones(4, 2)), new("a/bias", Tensor.Ones(2)), new("b/kernel", Tensor.Ones(1))]);

        var missing = Assert.Throws<InvalidDataException>(() => model.LoadWeights(dir.File("missing.safetensors")));
        var extra = Assert.Throws<InvalidDataException>(() => model.LoadWeights(dir.File("extra.safetensors")));

        Assert.Contains("tensor 'a/bias': missing", missing.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'b/kernel': the tensor matches no parameter", extra.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadWeights_PythonStyleFileWithOtherDtypes_Loads()
    {
        // A file as numpy/PyTorch might write it: F64 kernel, no NeuralNet metadata.
        using var dir = new TempDirectory();
        var kernel = new byte[4 * 2 * 8];
        for (int i = 0; i < 8; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(kernel.AsSpan(8 * i), i * 0.5);
        }

        byte[] file = SafeTensorsTestFiles.Raw(
            """{"a/kernel":{"dtype":"F64","shape":[4,2],"data_offsets":[0,64]},"a/bias":{"dtype":"F32","shape":[2],"data_offsets":[64,72]}}""",
            [.. kernel, .. SafeTensorsTestFiles.Floats(1, 2)]);
        File.WriteAllBytes(dir.File("py.safetensors"), file);
        var model = new Sequential([new InputLayer(4), new Dense(2, name: "a")], seed: 1);

        model.LoadWeights(dir.File("py.safetensors"));

        Assert.Equal(new float[] { 0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f }, model.GetWeights()[0].ToArray());
        Assert.Equal(new float[] { 1, 2 }, model.GetWeights()[1].ToArray());
    }

    [Fact]
    public void Load_WeightsOnlyFile_ThrowsSayingToUseLoadWeights()
    {
        using var dir = new TempDirectory();
        new Sequential([new InputLayer(4), new Dense(2)]).SaveWeights(dir.File("w.safetensors"));

        var ex = Assert.Throws<InvalidDataException>(() => Sequential.Load(dir.File("w.safetensors")));

        Assert.Contains("LoadWeights", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadModelConfigs() => new()
    {
        { "\"units\":4", "\"units\":0", "\"units\" is 0" },
        { "\"units\":4", "\"units\":2000000000", "layer 1 ('dense', Dense): cannot take input (None, 3): Shape (3, 2000000000) has more elements than an array can hold" },
        { "\"units\":4", "\"units\":\"4\"", "\"units\" must be an integer" },
        { "\"class_name\":\"Dense\"", "\"class_name\":\"Conv9D\"", "unknown layer class \"Conv9D\"" },
        { "\"activation\":\"relu\"", "\"activation\":\"swish2\"", "unknown activation \"swish2\"" },
        { "\"rate\":0.5", "\"rate\":1.5", "rate" },
        { "\"batch_shape\":[null,3]", "\"batch_shape\":[null,-3]", "\"batch_shape\"[1] is -3" },
        { "\"batch_shape\":[null,3]", "\"batch_shape\":[null,3,2]", "tensor 'dense/kernel': has shape [3, 4] but Dense 'dense' built for input (None, 3, 2) needs [2, 4]" },
        { "\"batch_shape\":[null,3]", "\"batch_shape\":[null,65536,65536]", "more elements than an array can hold" },
        { "\"name\":\"dense\"", "\"name\":\"dropout\"", "two layers are named 'dropout'" },
        { "{\"class_name\":\"Sequential\"", "[{\"class_name\":\"Sequential\"", "\"model_config\" is not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadModelConfigs))]
    public void Load_BadModelConfig_ThrowsInvalidDataNamingTheProblem(string find, string replace, string expected)
    {
        var model = new Sequential([new InputLayer(3), new Dense(4, ActivationFunction.Relu), new Dropout(0.5)], seed: 1);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        Assert.Contains(find, metadata["model_config"], StringComparison.Ordinal);
        metadata["model_config"] = metadata["model_config"].Replace(find, replace, StringComparison.Ordinal);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => Sequential.Load(stream, "bad.model"));

        Assert.StartsWith("'bad.model': ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TensorShapeDisagreesWithArchitecture_ThrowsNamingTensor()
    {
        var model = new Sequential([new InputLayer(3), new Dense(4)], seed: 1);
        var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, [new("dense/kernel", Tensor.Ones(4, 3)), new("dense/bias", Tensor.Ones(4))], metadata);
        stream.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => Sequential.Load(stream, "m"));

        Assert.Contains("tensor 'dense/kernel': has shape [4, 3] but Dense 'dense' built for input (None, 3) needs [3, 4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownOptimizerSlot_ThrowsNamingTensor()
    {
        var model = DenseModel();
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        tensors.Add(new("optimizer/dense/kernel/bogus", Tensor.Ones(8, 16)));
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => Sequential.Load(stream, "m"));

        Assert.Contains("tensor 'optimizer/dense/kernel/bogus'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_InterruptedMidWrite_LeavesPreviousModelFileByteIdentical()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        var model = DenseModel();
        model.Save(path);
        byte[] previous = File.ReadAllBytes(path);
        var (x, y) = Classification(32, 8, 3, seed: 6);
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);

        Assert.Throws<IOException>(() => AtomicFile.Write(path, s => SafeTensors.Write(new FailingStream(s, failAfter: previous.Length / 2), tensors, metadata)));

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.Entries());
        Assert.Equal(Bits(Sequential.Load(path).Predict(x)), Bits(DenseModelPredictBeforeTraining(x)));
    }

    [Fact]
    public void Save_UnsupportedCustomLayer_ThrowsAndLeavesPreviousFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var model = new Sequential([new InputLayer(3), new Doubler()]);

        var ex = Assert.Throws<NotSupportedException>(() => model.Save(path));

        Assert.Contains(nameof(Doubler), ex.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], dir.Entries());
    }

    [Fact]
    public void Save_UnbuiltModel_ThrowsInvalidOperation()
    {
        using var dir = new TempDirectory();
        var model = new Sequential([new Dense(3)]);
        Assert.Throws<InvalidOperationException>(() => model.Save(dir.File("m.safetensors")));
        Assert.Empty(dir.Entries());
    }

    private static Tensor DenseModelPredictBeforeTraining(Tensor x) => DenseModel().Predict(x);

    private sealed class Doubler() : Layer(null)
    {
        public override string DefaultNamePrefix => "doubler";

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training) => input * 2f;

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient * 2f;
    }

    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > failAfter)
            {
                int part = (int)(failAfter - _written);
                inner.Write(buffer[..part]);
                throw new IOException("disk full (injected)");
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }
    }
}

using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// The optimizer's variables in a .keras archive (optimizer/vars/0, ...): their order written out by hand from Keras'
/// optimizers' build methods, files made with h5py as Keras' saving_lib makes them, round trips that resume training bit
/// for bit, and files that do not fit.
/// </summary>
public sealed partial class KerasOptimizerStateTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-keras-optimizer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> OptimizerKinds =>
        ["adam", "amsgrad", "adamw", "nadam", "rmsprop", "sgd", "adagrad", "adadelta", "adamax", "ftrl", "lion", "lamb", "schedule_free", "adafactor", "muon", "ema+accumulation", "schedule"];

    [Theory]
    [MemberData(nameof(OptimizerKinds))]
    public void SaveModelThenLoadModel_ResumedTraining_EqualsUninterruptedBitForBit(string kind)
    {
        Sequential uninterrupted = NewModel(Create(kind)), first = NewModel(Create(kind));
        for (int step = 0; step < 5; step++)
        {
            Train(uninterrupted, step);
            Train(first, step);
        }

        string path = Path.Combine(_folder, kind + ".keras");
        KerasFormat.SaveModel(first, path);
        Model resumed = KerasFormat.LoadModel(path);
        Assert.Equal(5, resumed.Optimizer!.StepCount);
        Assert.Equal(first.Optimizer!.LearningRate, resumed.Optimizer.LearningRate);
        for (int step = 5; step < 9; step++)
        {
            Train(uninterrupted, step);
            Train(resumed, step);
        }

        Assert.Equal(Weights(uninterrupted), Weights(resumed));
    }

    [Fact]
    public void SaveModelThenLoadModel_WithoutTheOptimizerState_WouldNotResumeTheSame()
    {
        // The check above can fail: the same round trip with the moments dropped ends elsewhere.
        Sequential uninterrupted = NewModel(Create("adam")), first = NewModel(Create("adam"));
        for (int step = 0; step < 5; step++)
        {
            Train(uninterrupted, step);
            Train(first, step);
        }

        string path = Path.Combine(_folder, "fresh.keras");
        KerasFormat.SaveModel(first, path);
        Model resumed = KerasFormat.LoadModel(path);
        resumed.Optimizer!.SetState(0, []);
        for (int step = 5; step < 9; step++)
        {
            Train(uninterrupted, step);
            Train(resumed, step);
        }

        Assert.NotEqual(Weights(uninterrupted), Weights(resumed));
    }

    [H5pyFact]
    public void SaveModel_Adam_H5pyReadsKerasOptimizerVariables()
    {
        // A frozen layer and BatchNormalization's moving statistics are not trainable: Keras' optimizer has no variables for them.
        Sequential model = NewModel(new Adam(0.01f));
        for (int step = 0; step < 3; step++)
        {
            Train(model, step);
        }

        string path = Path.Combine(_folder, "adam.keras");
        KerasFormat.SaveModel(model, path);

        JsonObject file = H5py.Dump(ExtractWeights(path));
        var datasets = (JsonObject)file["datasets"]!;
        string[] trainable = ["batch_normalization/gamma", "batch_normalization/beta", "dense_1/kernel", "dense_1/bias"];
        Assert.Equal(2 + (2 * trainable.Length), datasets.Count(d => d.Key.StartsWith("optimizer/vars/", StringComparison.Ordinal)));
        Assert.Contains("optimizer/vars", file["groups"]!.AsArray().Select(g => (string?)g));
        AssertDataset(datasets["optimizer/vars/0"]!, "int64", [], [3]);
        AssertDataset(datasets["optimizer/vars/1"]!, "float32", [], [0.01f]);
        for (int i = 0; i < trainable.Length; i++)
        {
            Parameter parameter = Find(model, trainable[i]);
            IReadOnlyList<Tensor> state = model.Optimizer!.GetState(parameter);
            int[] shape = parameter.Shape.Dimensions.ToArray();
            AssertDataset(datasets[$"optimizer/vars/{2 + (2 * i)}"]!, "float32", shape, state[0].ToArray());
            AssertDataset(datasets[$"optimizer/vars/{3 + (2 * i)}"]!, "float32", shape, state[1].ToArray());
        }

        using ZipArchive archive = ZipFile.OpenRead(path);
        Assert.Equal("3.16.0", (string?)JsonNode.Parse(archive.GetEntry("metadata.json")!.Open())!["keras_version"]);
    }

    [H5pyFact]
    public void LoadModel_KerasAdamArchive_RestoresStepCountLearningRateAndMoments()
    {
        // Keras (TensorFlow) writes iteration as int64; ReduceLROnPlateau had lowered the rate to 0.0005 under the config's 0.001.
        Model reference = Model.FromJson(KerasConfigs.SequentialMlp);
        string[] trainable = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"];
        var variables = new List<(string, int[], string, double[])> { Scalar(0, "int64", 7), Scalar(1, "float32", 0.0005) };
        var moments = new Dictionary<string, Tensor[]>();
        long seed = 20;
        foreach (string name in trainable)
        {
            TensorShape shape = Find(reference, name).Shape;
            moments[name] = [Tensor.RandomNormal(shape, seed++), Tensor.RandomUniform(shape, seed++, 0f, 1f)];
            variables.Add(Variable(variables.Count, moments[name][0]));
            variables.Add(Variable(variables.Count, moments[name][1]));
        }

        Model model = KerasFormat.LoadModel(WriteMlpArchive("adam.keras", KerasConfigs.SequentialMlp, "3.12.0", variables));

        Assert.Equal(7, model.Optimizer!.StepCount);
        Assert.Equal(0.0005f, model.Optimizer.LearningRate);
        foreach (string name in trainable)
        {
            IReadOnlyList<Tensor> state = model.Optimizer.GetState(Find(model, name));
            Assert.Equal(moments[name][0].ToArray(), state[0].ToArray());
            Assert.Equal(moments[name][1].ToArray(), state[1].ToArray());
        }
    }

    [H5pyTheory]
    [InlineData("3.9.2", false)]
    [InlineData("3.10.0", true)]
    [InlineData("3.16.0", true)]
    public void LoadModel_KerasNadamArchive_ReadsUProductWhereItsVersionPutIt(string kerasVersion, bool productLast)
    {
        // Keras 3.0-3.9's Nadam.build made u_product before its moments, 3.10+ after them. JAX keeps iteration as int32.
        string config = KerasConfigs.SequentialMlp.Replace(KerasConfigs.AdamCompile, NadamCompile, StringComparison.Ordinal);
        Model reference = Model.FromJson(config);
        string[] trainable = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"];
        var variables = new List<(string, int[], string, double[])> { Scalar(0, "int32", 3), Scalar(1, "float32", 0.001) };
        if (!productLast)
        {
            variables.Add(Scalar(2, "float32", 0.6));
        }

        var moments = new Dictionary<string, Tensor[]>();
        long seed = 40;
        foreach (string name in trainable)
        {
            TensorShape shape = Find(reference, name).Shape;
            moments[name] = [Tensor.RandomNormal(shape, seed++), Tensor.RandomUniform(shape, seed++, 0f, 1f)];
            variables.Add(Variable(variables.Count, moments[name][0]));
            variables.Add(Variable(variables.Count, moments[name][1]));
        }

        if (productLast)
        {
            variables.Add(Scalar(variables.Count, "float32", 0.6));
        }

        Model model = KerasFormat.LoadModel(WriteMlpArchive("nadam.keras", config, kerasVersion, variables));

        Assert.IsType<Nadam>(model.Optimizer);
        Assert.Equal(3, model.Optimizer!.StepCount);
        foreach (string name in trainable)
        {
            IReadOnlyList<Tensor> state = model.Optimizer.GetState(Find(model, name));
            Assert.Equal(moments[name][0].ToArray(), state[0].ToArray());
            Assert.Equal(moments[name][1].ToArray(), state[1].ToArray());
        }
    }

    [H5pyTheory]
    [InlineData("3.9.2", false)]
    [InlineData("3.12.0", true)]
    public void LoadModel_EmaWithGradientAccumulation_ReadsTheBaseVariablesInTheirVersionsOrder(string kerasVersion, bool grouped)
    {
        // Keras 3.0-3.9's base build made average_i, gradient_accumulator_i per variable; 3.10+ every average, then every accumulator.
        string config = KerasConfigs.SequentialMlp.Replace(KerasConfigs.AdamCompile, AdamCompile(useEma: true, accumulationSteps: 2), StringComparison.Ordinal);
        Model reference = Model.FromJson(config);
        string[] trainable = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"];
        var state = trainable.ToDictionary(n => n, n => Enumerable.Range(0, 4).Select(s => Tensor.RandomNormal(Find(reference, n).Shape, 60 + (10 * s) + Array.IndexOf(trainable, n))).ToArray());
        var variables = new List<(string, int[], string, double[])> { Scalar(0, "int64", 5), Scalar(1, "float32", 0.001) };

        // state[name] = momentum, velocity, average, gradient_accumulator (StateSlotNames' order).
        if (grouped)
        {
            foreach (int slot in new[] { 2, 3 })
            {
                foreach (string name in trainable)
                {
                    variables.Add(Variable(variables.Count, state[name][slot]));
                }
            }
        }
        else
        {
            foreach (string name in trainable)
            {
                variables.Add(Variable(variables.Count, state[name][2]));
                variables.Add(Variable(variables.Count, state[name][3]));
            }
        }

        foreach (string name in trainable)
        {
            variables.Add(Variable(variables.Count, state[name][0]));
            variables.Add(Variable(variables.Count, state[name][1]));
        }

        Model model = KerasFormat.LoadModel(WriteMlpArchive("ema.keras", config, kerasVersion, variables));

        Assert.Equal(["momentum", "velocity", "average", "gradient_accumulator"], model.Optimizer!.StateSlotNames);
        Assert.Equal(2, model.Optimizer.Iterations);
        foreach (string name in trainable)
        {
            Assert.Equal(state[name].Select(t => t.ToArray()), model.Optimizer.GetState(Find(model, name)).Select(t => t.ToArray()));
        }
    }

    [H5pyFact]
    public void LoadModel_NestedModel_SlotsFollowKerasTrainableVariablesOrder()
    {
        // Keras' trainable_variables: the outer layers in order, the nested encoder's (dense, dense_1) where it stands, then
        // the outer dense. Every kernel has another shape, so a slot in another place would be refused.
        string config = KerasConfigs.NestedFunctional.TrimEnd()[..^1] + ", \"compile_config\": " + KerasConfigs.AdamCompile + "}";
        (string Path, string Tensor, int[] Shape)[] paths =
        [
            ("layers/functional/layers/dense/vars/0", "encoder_dense/kernel", [4, 3]), ("layers/functional/layers/dense/vars/1", "encoder_dense/bias", [3]),
            ("layers/functional/layers/dense_1/vars/0", "dense_1/kernel", [3, 2]), ("layers/functional/layers/dense_1/vars/1", "dense_1/bias", [2]),
            ("layers/dense/vars/0", "dense/kernel", [2, 1]), ("layers/dense/vars/1", "dense/bias", [1]),
        ];
        var values = paths.ToDictionary(p => p.Tensor, p => Tensor.RandomNormal(new TensorShape(p.Shape), p.Tensor.Length));
        var moments = paths.ToDictionary(p => p.Tensor, p => new[] { Tensor.RandomNormal(values[p.Tensor].Shape, 3 * p.Path.Length), Tensor.RandomUniform(values[p.Tensor].Shape, 5 * p.Path.Length, 0f, 1f) });
        var variables = new List<(string, int[], string, double[])> { Scalar(0, "int64", 12), Scalar(1, "float32", 0.001) };
        foreach (var (_, tensor, _) in paths)
        {
            variables.Add(Variable(variables.Count, moments[tensor][0]));
            variables.Add(Variable(variables.Count, moments[tensor][1]));
        }

        Model model = KerasFormat.LoadModel(WriteArchive("nested.keras", config, "3.12.0",
            ["", "layers/functional", "layers/functional/layers/dense", "layers/functional/layers/dense_1", "layers/dense", "optimizer"],
            paths.Select(p => (p.Path, values[p.Tensor])), variables));

        Assert.Equal(12, model.Optimizer!.StepCount);
        foreach (var (_, tensor, _) in paths)
        {
            Assert.Equal(values[tensor].ToArray(), Find(model, tensor).Value.ToArray());
            Assert.Equal(moments[tensor].Select(t => t.ToArray()), model.Optimizer.GetState(Find(model, tensor)).Select(t => t.ToArray()));
        }
    }

    [H5pyFact]
    public void LoadModel_StackedCells_SlotsFollowKerasTrainableVariablesOrder()
    {
        // Keras' trainable_variables: the RNN's StackedRNNCells holds its cells in list order, so the first cell's three
        // variables come first, though the layer NeuralNet makes of the last cell keeps the RNN's name (and place). Every
        // kernel has another shape, so a slot in another place would be refused. The first cell is frozen in the file:
        // Keras keeps it frozen, with no slots.
        string first = KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell", 3);
        string config = KerasConfigs.Sequential(4, 2, ("RNN", KerasConfigs.StackedRnnConfig("rnn", [first, KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell_1", 2)], false)))
            .TrimEnd()[..^1] + ", \"compile_config\": " + KerasConfigs.AdamCompile + "}";
        string cells = "layers/rnn/cell/cells/";
        (string Path, string Tensor, int[] Shape)[] paths =
        [
            (cells + "simple_rnn_cell/vars/0", "rnn_simple_rnn_cell/kernel", [2, 3]), (cells + "simple_rnn_cell/vars/1", "rnn_simple_rnn_cell/recurrent_kernel", [3, 3]),
            (cells + "simple_rnn_cell/vars/2", "rnn_simple_rnn_cell/bias", [3]), (cells + "simple_rnn_cell_1/vars/0", "rnn/kernel", [3, 2]),
            (cells + "simple_rnn_cell_1/vars/1", "rnn/recurrent_kernel", [2, 2]), (cells + "simple_rnn_cell_1/vars/2", "rnn/bias", [2]),
        ];
        var values = paths.ToDictionary(p => p.Tensor, p => Tensor.RandomNormal(new TensorShape(p.Shape), p.Tensor.Length));
        var moments = paths.ToDictionary(p => p.Tensor, p => new[] { Tensor.RandomNormal(values[p.Tensor].Shape, 3 * p.Path.Length), Tensor.RandomUniform(values[p.Tensor].Shape, 5 * p.Path.Length, 0f, 1f) });
        var variables = new List<(string, int[], string, double[])> { Scalar(0, "int64", 7), Scalar(1, "float32", 0.001) };
        foreach (var (_, tensor, _) in paths)
        {
            variables.Add(Variable(variables.Count, moments[tensor][0]));
            variables.Add(Variable(variables.Count, moments[tensor][1]));
        }

        string[] groups = ["", "layers/rnn", "layers/rnn/cell", cells + "simple_rnn_cell", cells + "simple_rnn_cell_1", "optimizer"];
        Model model = KerasFormat.LoadModel(WriteArchive("stacked.keras", config, "3.12.0", groups, paths.Select(p => (p.Path, values[p.Tensor])), variables));

        Assert.Equal(7, model.Optimizer!.StepCount);
        foreach (var (_, tensor, _) in paths)
        {
            Assert.Equal(values[tensor].ToArray(), Find(model, tensor).Value.ToArray());
            Assert.Equal(moments[tensor].Select(t => t.ToArray()), model.Optimizer.GetState(Find(model, tensor)).Select(t => t.ToArray()));
        }

        // A frozen cell stays frozen (the file's trainable=false), and its slots are not read.
        string frozen = KerasConfigs.Sequential(4, 2, ("RNN", KerasConfigs.StackedRnnConfig("rnn", [first.Replace("\"trainable\": true", "\"trainable\": false", StringComparison.Ordinal), KerasConfigs.Cell("SimpleRNNCell", "simple_rnn_cell_1", 2)], false)));
        Model frozenModel = KerasFormat.LoadModel(WriteArchive("frozen.keras", frozen, "3.12.0", groups[..^1], paths.Select(p => (p.Path, values[p.Tensor])), []));
        Assert.False(frozenModel.GetLayer("rnn_simple_rnn_cell").Trainable);
        Assert.True(frozenModel.GetLayer("rnn").Trainable);
    }

    [Fact]
    public void SaveModel_CustomOptimizer_KeepsItsConfigAndLoadsWithAFreshState()
    {
        // Keras cannot place a custom optimizer's variables either: the archive keeps its config (and the weights), and
        // loading gives the registered optimizer with a fresh state, as Keras' load skips variables it cannot place.
        SerializationRegistry.Register("KerasTests>SignDescent", _ => new SignDescent());
        var model = new Sequential([new InputLayer(4), new Dense(2)], seed: 3);
        model.Compile(new SignDescent(), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 4), 1), y = Tensor.RandomNormal(new TensorShape(8, 2), 2);
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        Assert.True(model.Optimizer!.HasState);
        string path = Path.Combine(_folder, "custom.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.IsType<SignDescent>(loaded.Optimizer);
        Assert.False(loaded.Optimizer!.HasState);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    [Fact]
    public void SaveModel_AdafactorAndMuon_KeepTheirConfigAndState()
    {
        // Their variables are checked in KerasFactoredOptimizerStateTests; here their configs survive the archive beside them.
        var model = new Sequential([new InputLayer(4), new Dense(2)], seed: 3);
        model.Compile(new Adafactor(0.5f, beta2Decay: -0.6f, clipThreshold: 0.9f), new MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 4), 1), y = Tensor.RandomNormal(new TensorShape(8, 2), 2);
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        string path = Path.Combine(_folder, "adafactor.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        var optimizer = Assert.IsType<Adafactor>(loaded.Optimizer);
        Assert.Equal((0.5f, -0.6f, 0.9f, 2L), (optimizer.LearningRate, optimizer.Beta2Decay, optimizer.ClipThreshold, optimizer.StepCount));
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());

        // exclude_layers survives the archive, and with it the rule each weight takes, which decides Muon's variables.
        model.Compile(new Muon(0.05f, excludeLayers: ["dense"], rmsRate: null), new MeanSquaredError());
        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        KerasFormat.SaveModel(model, path);
        var muon = Assert.IsType<Muon>(KerasFormat.LoadModel(path).Optimizer);
        Assert.Equal((0.05f, "dense", (float?)null, 2L), (muon.LearningRate, muon.ExcludeLayers.Single(), muon.RmsRate, muon.StepCount));
    }

    [H5pyFact]
    public void LoadModel_OptimizerVariablesOfAnotherCount_AreSkippedAsKerasDoes()
    {
        // Keras' load_own_variables warns "Skipping variable loading for optimizer" and keeps a fresh optimizer: one saved
        // before it was built (iteration and learning_rate only), or built on other trainable variables.
        Model reference = Model.FromJson(KerasConfigs.SequentialMlp);
        var weights = WeightVariables(reference);
        Model unbuilt = KerasFormat.LoadModel(WriteMlpArchive("unbuilt.keras", KerasConfigs.SequentialMlp, "3.12.0", [Scalar(0, "int64", 0), Scalar(1, "float32", 0.5)], weights));
        Assert.False(unbuilt.Optimizer!.HasState);
        Assert.Equal(0.001f, unbuilt.Optimizer.LearningRate);
        Assert.Equal(weights["dense/kernel"].ToArray(), Find(unbuilt, "dense/kernel").Value.ToArray());

        var tooMany = new List<(string, int[], string, double[])> { Scalar(0, "int64", 4), Scalar(1, "float32", 0.001) };
        tooMany.AddRange(Enumerable.Range(2, 9).Select(i => Scalar(i, "float32", 0)));
        Model other = KerasFormat.LoadModel(WriteMlpArchive("other.keras", KerasConfigs.SequentialMlp, "3.12.0", tooMany, weights));
        Assert.False(other.Optimizer!.HasState);
        Assert.Equal(0, other.Optimizer.StepCount);

        // tf.keras 2.13's .keras archives kept another optimizer: its variables are not read.
        Model keras2 = KerasFormat.LoadModel(WriteMlpArchive("keras2.keras", KerasConfigs.SequentialMlp, "2.13.1", AdamVariables(reference, step: 4), weights));
        Assert.False(keras2.Optimizer!.HasState);

        // The same variables under Keras 3 are read.
        Model keras3 = KerasFormat.LoadModel(WriteMlpArchive("keras3.keras", KerasConfigs.SequentialMlp, "3.12.0", AdamVariables(reference, step: 4), weights));
        Assert.Equal(4, keras3.Optimizer!.StepCount);
    }

    [H5pyFact]
    public void LoadModel_OptimizerVariableOfAnotherShapeOrType_IsRefusedNamingIt()
    {
        Model reference = Model.FromJson(KerasConfigs.SequentialMlp);
        var variables = AdamVariables(reference, step: 4);
        variables[3] = ("optimizer/vars/3", [8, 4], "float32", new double[32]);
        var ex = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(WriteMlpArchive("shape.keras", KerasConfigs.SequentialMlp, "3.12.0", variables)));
        Assert.Contains("dataset 'optimizer/vars/3' has shape (8, 4) but the parameter is (4, 8)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the 'velocity' of parameter 'kernel' (4, 8) of layer 'dense' (layers/dense/vars/0)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("one of the 10 variables of the adam optimizer in Keras 3.10+'s order", ex.Message, StringComparison.Ordinal);

        variables = AdamVariables(reference, step: 4);
        variables[0] = Scalar(0, "float32", 4);
        ex = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(WriteMlpArchive("iteration.keras", KerasConfigs.SequentialMlp, "3.12.0", variables)));
        Assert.Contains("dataset 'optimizer/vars/0' holds FloatingPoint values of 4 bytes; expected an int64 or int32 value; it should hold the step count (iteration", ex.Message, StringComparison.Ordinal);

        variables = AdamVariables(reference, step: 4);
        variables[1] = Scalar(1, "float32", -0.5);
        ex = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(WriteMlpArchive("rate.keras", KerasConfigs.SequentialMlp, "3.12.0", variables)));
        Assert.Contains("holds -0.5; a learning rate is a non-negative finite number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sgd0", "3.10", "iteration learning_rate")]
    [InlineData("sgd", "3.10", "iteration learning_rate momentum:kernel momentum:bias")]
    [InlineData("adam", "3.10", "iteration learning_rate momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    [InlineData("amsgrad", "3.10", "iteration learning_rate momentum:kernel velocity:kernel momentum:bias velocity:bias velocity_hat:kernel velocity_hat:bias")]
    [InlineData("adamw", "3.0", "iteration learning_rate momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    [InlineData("nadam", "3.0", "iteration learning_rate u_product momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    [InlineData("nadam", "3.10", "iteration learning_rate momentum:kernel velocity:kernel momentum:bias velocity:bias u_product")]
    [InlineData("adamax", "3.10", "iteration learning_rate momentum:kernel norm:kernel momentum:bias norm:bias")]
    [InlineData("adagrad", "3.10", "iteration learning_rate accumulator:kernel accumulator:bias")]
    [InlineData("adadelta", "3.10", "iteration learning_rate accumulated_grad:kernel accumulated_delta_var:kernel accumulated_grad:bias accumulated_delta_var:bias")]
    [InlineData("rmsprop0", "3.10", "iteration learning_rate velocity:kernel velocity:bias")]
    [InlineData("rmsprop", "3.10", "iteration learning_rate velocity:kernel velocity:bias momentum:kernel momentum:bias average_gradient:kernel average_gradient:bias")]
    [InlineData("ftrl", "3.10", "iteration learning_rate accumulator:kernel linear:kernel accumulator:bias linear:bias")]
    [InlineData("lion", "3.10", "iteration learning_rate momentum:kernel momentum:bias")]
    [InlineData("lamb", "3.10", "iteration learning_rate momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    [InlineData("schedule_free", "3.10", "iteration learning_rate z:kernel velocity:kernel z:bias velocity:bias")]
    [InlineData("adafactor", "3.0", "iteration learning_rate r:kernel c:kernel velocity:kernel r:bias c:bias velocity:bias")]
    [InlineData("muon", "3.10", "iteration learning_rate momentum:kernel momentum:bias velocity:bias")]
    [InlineData("schedule", "3.10", "iteration momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    [InlineData("ema+accumulation", "3.0", "iteration learning_rate average:kernel gradient_accumulator:kernel average:bias gradient_accumulator:bias momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    [InlineData("ema+accumulation", "3.10", "iteration learning_rate average:kernel average:bias gradient_accumulator:kernel gradient_accumulator:bias momentum:kernel velocity:kernel momentum:bias velocity:bias")]
    public void OptimizerVariables_FollowKerasBuildOrder(string kind, string version, string expected)
    {
        // Written out from keras/src/optimizers/*.py build and base_optimizer.py (__init__: iteration, then learning_rate
        // unless a schedule; build: average and gradient_accumulator), one Dense layer's kernel and bias.
        Optimizer optimizer = kind switch
        {
            "sgd0" => new Sgd(0.1f),
            "rmsprop0" => new RmsProp(),
            _ => Create(kind),
        };
        var model = new Sequential([new InputLayer(2), new Dense(3)]);
        model.Compile(optimizer, new MeanSquaredError());
        KerasOptimizerOrder order = KerasOptimizerVariables.OrderOf(version + ".1")!.Value;

        List<KerasOptimizerVariable> variables = KerasOptimizerVariables.Of(optimizer, KerasWeightLayout.Of(model), order);

        Assert.Equal(expected, string.Join(' ', variables.Select(v => v.Kind switch
        {
            KerasOptimizerVariableKind.Iteration => "iteration",
            KerasOptimizerVariableKind.LearningRate => "learning_rate",
            KerasOptimizerVariableKind.NadamProduct => "u_product",
            _ => $"{optimizer.StateSlotNames[v.Slot]}:{v.Weight!.Parameter.Name}",
        })));
    }

    [Theory]
    [InlineData("3.0.0", "Keras30")]
    [InlineData("3.9.2", "Keras30")]
    [InlineData("3.10.0", "Keras310")]
    [InlineData("3.16.0.dev2026", "Keras310")]
    [InlineData("4.0.0", "Keras310")]
    [InlineData(null, "Keras310")]
    [InlineData("3", "Keras310")]
    [InlineData("2.13.1", null)]
    public void OrderOf_KerasVersion(string? version, string? expected) =>
        Assert.Equal(expected, KerasOptimizerVariables.OrderOf(version)?.ToString());

    // The test model: a frozen Dense, BatchNormalization (moving statistics), a trainable Dense.
    private static Sequential NewModel(Optimizer optimizer)
    {
        var model = new Sequential([new InputLayer(4), new Dense(5, ActivationFunction.Tanh), new BatchNormalization(), new Dense(3)], seed: 11);
        model.GetLayer("dense").Trainable = false;
        model.Compile(optimizer, new MeanSquaredError());
        return model;
    }

    private static Optimizer Create(string kind) => kind switch
    {
        "adam" => new Adam(0.01f),
        "amsgrad" => new Adam(0.01f, beta2: 0.6f, amsGrad: true),
        "adamw" => new AdamW(0.01f, weightDecay: 0.05f),
        "nadam" => new Nadam(0.01f),
        "rmsprop" => new RmsProp(0.01f, momentum: 0.5f, centered: true),
        "sgd" => new Sgd(0.05f, momentum: 0.9f, nesterov: true),
        "adagrad" => new Adagrad(0.05f),
        "adadelta" => new Adadelta(1f),
        "adamax" => new Adamax(0.01f),
        "ftrl" => new Ftrl(0.05f, l1RegularizationStrength: 0.01f),
        "lion" => new Lion(0.001f),
        "lamb" => new Lamb(0.001f),
        "schedule_free" => new ScheduleFreeAdamW(0.01f, warmupSteps: 2),
        "adafactor" => new Adafactor(0.05f),
        "muon" => new Muon(0.01f),
        "ema+accumulation" => new Adam(0.01f) { UseEma = true, EmaOverwriteFrequency = 2, GradientAccumulationSteps = 2 },
        "schedule" => new Adam { Schedule = new ExponentialDecay(0.01, decaySteps: 3, decayRate: 0.5) },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static void Train(Model model, int step) =>
        model.TrainOnBatch(Tensor.RandomNormal(new TensorShape(6, 4), 100 + step), Tensor.RandomNormal(new TensorShape(6, 3), 200 + step));

    private static List<float[]> Weights(Model model) =>
        [.. model.Layers.SelectMany(l => l.Parameters.Select(p => (l.Name + "/" + p.Name, p.Value.ToArray()))).OrderBy(w => w.Item1, StringComparer.Ordinal).Select(w => w.Item2)];

    private static Parameter Find(Model model, string name)
    {
        string[] parts = name.Split('/', 2);
        return model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]);
    }

    private static void AssertDataset(JsonNode dataset, string dtype, int[] shape, float[] values)
    {
        Assert.Equal(dtype, (string?)dataset["dtype"]);
        Assert.Equal(shape, dataset["shape"]!.AsArray().Select(d => (int)d!).ToArray());
        Assert.Equal(values, dataset["values"]!.AsArray().Select(v => (float)(double)v!).ToArray());
    }

    private string ExtractWeights(string archivePath)
    {
        string h5 = Path.Combine(_folder, Path.GetFileNameWithoutExtension(archivePath) + ".extracted.h5");
        using ZipArchive archive = ZipFile.OpenRead(archivePath);
        archive.GetEntry("model.weights.h5")!.ExtractToFile(h5, overwrite: true);
        return h5;
    }

    // Keras' compile_config for Nadam (nadam.py get_config: no amsgrad).
    private static readonly string NadamCompile = KerasConfigs.AdamCompile
        .Replace("\"class_name\": \"Adam\"", "\"class_name\": \"Nadam\"", StringComparison.Ordinal)
        .Replace("\"name\": \"adam\"", "\"name\": \"nadam\"", StringComparison.Ordinal)
        .Replace(", \"amsgrad\": false", string.Empty, StringComparison.Ordinal);

    private static string AdamCompile(bool useEma, int accumulationSteps) => KerasConfigs.AdamCompile
        .Replace("\"use_ema\": false", $"\"use_ema\": {(useEma ? "true" : "false")}", StringComparison.Ordinal)
        .Replace("\"gradient_accumulation_steps\": null", $"\"gradient_accumulation_steps\": {accumulationSteps}", StringComparison.Ordinal);

    private static (string, int[], string, double[]) Scalar(int index, string dtype, double value) => ($"optimizer/vars/{index}", [], dtype, [value]);

    private static (string, int[], string, double[]) Variable(int index, Tensor value) =>
        ($"optimizer/vars/{index}", value.Shape.Dimensions.ToArray(), "float32", [.. value.ToArray().Select(v => (double)v)]);

    // Adam's variables for KerasConfigs.SequentialMlp in Keras' order: iteration, learning_rate, then momentum and velocity per trainable variable.
    private static List<(string, int[], string, double[])> AdamVariables(Model reference, long step)
    {
        var variables = new List<(string, int[], string, double[])> { Scalar(0, "int64", step), Scalar(1, "float32", 0.001) };
        foreach (string name in new[] { "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias" })
        {
            TensorShape shape = Find(reference, name).Shape;
            variables.Add(Variable(variables.Count, Tensor.RandomNormal(shape, variables.Count)));
            variables.Add(Variable(variables.Count, Tensor.RandomUniform(shape, variables.Count, 0f, 1f)));
        }

        return variables;
    }

    private static Dictionary<string, Tensor> WeightVariables(Model reference) =>
        new[] { "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias" }.ToDictionary(n => n, n => Tensor.RandomNormal(Find(reference, n).Shape, n.Length));

    // A .keras archive as Keras' saving_lib writes it (h5py): groups, the layers' weights and the optimizer's variables.
    private string WriteArchive(string name, string config, string kerasVersion, IEnumerable<string> groups, IEnumerable<(string Path, Tensor Value)> weights,
        IEnumerable<(string Path, int[] Shape, string DType, double[] Values)> optimizerVariables)
    {
        string h5 = Path.Combine(_folder, name + ".weights.h5");
        H5py.Write(h5, groups, weights.Select(w => (w.Path, w.Value.Shape.Dimensions.ToArray(), "float32", w.Value.ToArray().Select(v => (double)v).ToArray())).Concat(optimizerVariables));
        return Zip(name, config, kerasVersion, h5);
    }

    private string Zip(string name, string config, string kerasVersion, string h5)
    {
        string path = Path.Combine(_folder, name);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using (var writer = new StreamWriter(archive.CreateEntry("metadata.json").Open()))
            {
                writer.Write($$"""{"keras_version": "{{kerasVersion}}", "date_saved": "2026-12-05@07:00:00"}""");
            }

            using (var writer = new StreamWriter(archive.CreateEntry("config.json").Open()))
            {
                writer.Write(config);
            }

            archive.CreateEntryFromFile(h5, "model.weights.h5");
        }

        return path;
    }

    // A .keras archive of KerasConfigs.SequentialMlp's layers as Keras' saving_lib writes it (h5py): the layers' weights and
    // the optimizer's variables, with metadata.json's keras_version.
    private string WriteMlpArchive(string name, string config, string kerasVersion, IEnumerable<(string Path, int[] Shape, string DType, double[] Values)> optimizerVariables,
        Dictionary<string, Tensor>? weights = null)
    {
        weights ??= WeightVariables(Model.FromJson(config));
        (string Path, string Tensor)[] paths = [("layers/dense/vars/0", "dense/kernel"), ("layers/dense/vars/1", "dense/bias"), ("layers/dense_1/vars/0", "dense_1/kernel"), ("layers/dense_1/vars/1", "dense_1/bias")];
        return WriteArchive(name, config, kerasVersion, ["", "layers/dense", "layers/dense_1", "optimizer"], paths.Select(p => (p.Path, weights[p.Tensor])), optimizerVariables);
    }

    /// <summary>A custom optimizer, registered: Keras has no place for its variables.</summary>
    private sealed class SignDescent() : Optimizer(0.1f)
    {
        public override string Name => "KerasTests>SignDescent";

        protected override IReadOnlyList<string> SlotNames => [];

        protected override void Update(Span<float> values, ReadOnlySpan<float> gradient, Tensor[] slots, long step)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] -= (float)LearningRate * MathF.Sign(gradient[i]);
            }
        }
    }
}

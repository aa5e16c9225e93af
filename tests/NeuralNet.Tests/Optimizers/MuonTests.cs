using System.Text.Json.Nodes;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;
using static NeuralNet.Tests.Optimizers.KerasValues;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Muon against Keras' own values (keras/src/optimizers/muon_test.py: test_adamw_single_step, test_muon_single_step,
/// test_should_use_adamw, the weight decay tests) and a float64 transcription of its update_step over several steps.
/// </summary>
public class MuonTests
{
    [Fact]
    public void AdamWSingleStep_MatchesKeras()
    {
        // A one-axis variable takes AdamW's step; Keras calls _adamw_update_step(grads, vars, 0.5) without weight decay.
        var p = Parameter("test_vars", new TensorShape(4), [1f, 2f, 3f, 4f]);
        Gradient(p, [1f, 6f, 7f, 2f]);
        new Muon(0.5f, adamWeightDecay: null).Step([p]);
        AssertClose([0.5, 1.5, 2.5, 3.5], p.Value.ToArray(), 1e-4);
    }

    [Fact]
    public void MuonSingleStep_MatchesKeras()
    {
        var p = Parameter("variable", new TensorShape(2, 2), [1f, 2f, 3f, 4f]);
        Gradient(p, [1f, 6f, 7f, 2f]);
        new Muon(0.5f) { WeightDecay = 0f }.Step([p]);
        AssertClose([0.988775, 1.887053, 2.873428, 3.97035], p.Value.ToArray(), 1e-2);
    }

    [Fact]
    public void WeightDecay_MatchesKeras_MuonsAndAdamWsOwn()
    {
        // test_muon_weight_decay and test_adamw_weight_decay: w − w·wd·lr at lr 1 before the step; a zero gradient then
        // moves nothing (Muon's direction of a zero momentum is 0; AdamW's m is 0).
        var matrix = Parameter("variable", new TensorShape(2, 2), [1f, 2f, 3f, 4f]);
        var scalar = Parameter("variable", new TensorShape(1), [2f]);
        new Muon(1f, adamWeightDecay: 0.05f) { WeightDecay = 0.01f }.Step([matrix, scalar]);
        AssertClose([0.99, 1.98, 2.97, 3.96], matrix.Value.ToArray(), 1e-6);
        AssertClose([1.9], scalar.Value.ToArray(), 1e-6);

        // Exclusions by name apply to both rules; no adam weight decay leaves AdamW's parameters alone.
        var excluded = Parameter("bias", new TensorShape(2, 2), [1f, 2f, 3f, 4f]);
        var plain = Parameter("variable", new TensorShape(1), [2f]);
        new Muon(1f, adamWeightDecay: null) { WeightDecay = 0.01f, WeightDecayExclusions = ["bias"] }.Step([excluded, plain]);
        Assert.Equal([1f, 2f, 3f, 4f], excluded.Value.ToArray());
        Assert.Equal([2f], plain.Value.ToArray());
    }

    [Fact]
    public void Rule_is_chosen_as_Keras_should_use_adamw()
    {
        var optimizer = new Muon(excludeLayers: ["var"]);
        Assert.True(optimizer.UsesAdamW(Parameter("variable", new TensorShape(2, 2), new float[4])));
        var plain = new Muon();
        Assert.False(plain.UsesAdamW(Parameter("variable", new TensorShape(2, 2), new float[4])));
        Assert.True(plain.UsesAdamW(Parameter("variable", new TensorShape(2, 2, 2), new float[8])));
        Assert.True(plain.UsesAdamW(Parameter("variable", new TensorShape(4), new float[4])));

        // In a model the path is layer/parameter: the embedding table and the excluded output layer go to AdamW.
        var model = new Sequential(
        [
            new InputLayer(5), new Embedding(10, 4), new Flatten(), new Dense(6, name: "hidden"), new Dense(3, name: "output_dense"),
        ], seed: 1);
        var muon = new Muon(excludeLayers: ["output_dense"]);
        model.Compile(muon, new NeuralNet.Losses.MeanSquaredError());
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 10).Select(i => (float)(i % 10))], 2, 5), y = Tensor.RandomNormal(new TensorShape(2, 3), 3);
        model.Fit(x, y, epochs: 1, batchSize: 2, verbose: 0);
        var rules = model.Layers.SelectMany(layer => layer.Parameters.Select(p => ($"{layer.Name}/{p.Name}", muon.UsesAdamW(p), muon.GetState(p)[1].Shape.Rank)));
        Assert.Equal(
            [("embedding/embeddings", true, 2), ("hidden/kernel", false, 0), ("hidden/bias", true, 1), ("output_dense/kernel", true, 2), ("output_dense/bias", true, 1)],
            rules);
    }

    [Theory]
    [InlineData(5, 3, true, true)]
    [InlineData(3, 8, false, true)]
    [InlineData(4, 4, true, false)]
    public void Steps_match_a_float64_transcription_of_Keras_update_step(int rows, int columns, bool nesterov, bool rmsRate)
    {
        var random = new Random(rows * 31 + columns);
        int n = rows * columns;
        float[] w0 = [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] b0 = [.. Enumerable.Range(0, columns).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        var kernel = Parameter("kernel", new TensorShape(rows, columns), w0);
        var bias = Parameter("bias", new TensorShape(columns), b0);
        const double lr = 0.02, wd = 0.01, adamWd = 0.03, ratio = 0.5, momentum = 0.9, b1 = 0.8, b2 = 0.95, eps = 1e-6;
        var optimizer = new Muon((float)lr, (float)b1, (float)b2, (float)adamWd, (float)eps, adamLearningRateRatio: (float)ratio, momentum: (float)momentum,
            nesterov: nesterov, rmsRate: rmsRate ? 0.3f : null) { WeightDecay = (float)wd };
        double[] w = [.. w0.Select(x => (double)x)], b = [.. b0.Select(x => (double)x)];
        double[] mw = new double[n], mb = new double[columns], vb = new double[columns];
        for (int t = 1; t <= 4; t++)
        {
            float[] gw = [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            float[] gb = [.. Enumerable.Range(0, columns).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            Gradient(kernel, gw);
            Gradient(bias, gb);
            optimizer.Step([kernel, bias]);

            // Weight decay first, at the full rate; then Muon's step for the kernel, AdamW's for the bias.
            for (int i = 0; i < n; i++)
            {
                w[i] -= w[i] * wd * lr;
                mw[i] += gw[i] + (mw[i] * (momentum - 1));
            }

            float[] direction = [.. Enumerable.Range(0, n).Select(i => (float)(nesterov ? gw[i] + (momentum * mw[i]) : mw[i]))];
            double[] update = NewtonSchulz.OrthogonalizeReference(direction, rows, columns, 5, 3.4445f, -4.7750f, 2.0315f);
            double scale = rmsRate ? Math.Sqrt(Math.Max(rows, columns)) * 0.3f : 1;
            for (int i = 0; i < n; i++)
            {
                w[i] -= lr * update[i] * scale;
            }

            double adamLr = lr * ratio, alpha = adamLr * Math.Sqrt(1 - Math.Pow(0.95f, t)) / (1 - Math.Pow(0.8f, t));
            for (int i = 0; i < columns; i++)
            {
                b[i] -= b[i] * adamWd * lr;
                mb[i] += (gb[i] - mb[i]) * (1 - b1);
                vb[i] += ((gb[i] * (double)gb[i]) - vb[i]) * (1 - b2);
                b[i] -= mb[i] * alpha / (Math.Sqrt(vb[i]) + eps);
            }

            AssertClose(w, kernel.Value.ToArray(), 2e-5);
            AssertClose(b, bias.Value.ToArray(), 2e-5);
        }
    }

    [Fact]
    public void Step_after_the_first_allocates_nothing()
    {
        var muon = new Muon(0.01f);
        var kernel = Parameter("kernel", new TensorShape(300, 200), new float[60000]);
        var small = Parameter("small", new TensorShape(20, 30), new float[600]);
        var bias = Parameter("bias", new TensorShape(200), new float[200]);
        IReadOnlyList<Parameter> list = [kernel, small, bias];
        Tensor.RandomNormal(kernel.Shape, 5).CopyTo(kernel.Gradient);
        muon.Step(list);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                kernel.Gradient.Fill(0.25f);
                small.Gradient.Fill(-0.5f);
                muon.Step(list);
            }
        });
    }

    [Fact]
    public void Steps_give_the_same_bits_on_one_and_two_threads()
    {
        float[] Run(int threads)
        {
            int saved = Parallelism.MaxDegreeOfParallelism;
            try
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                var muon = new Muon(0.01f);
                var kernel = Parameter("kernel", new TensorShape(300, 200), new float[60000]);
                Tensor.RandomNormal(kernel.Shape, 4).CopyTo(kernel.Value);
                for (int t = 0; t < 3; t++)
                {
                    Tensor.RandomNormal(kernel.Shape, 5 + t).CopyTo(kernel.Gradient);
                    muon.Step([kernel]);
                }

                return kernel.Value.ToArray();
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = saved;
            }
        }

        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void Config_keras_form_training_and_resume_round_trip()
    {
        var optimizer = (Muon)SerializationRegistry.Deserialize<Optimizer>(JsonNode.Parse("""
            {"module": "keras.optimizers", "class_name": "Muon", "registered_name": null,
             "config": {"name": "muon", "learning_rate": 0.5, "weight_decay": 0.004, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
                        "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
                        "gradient_accumulation_steps": null, "adam_beta_1": 0.9, "adam_beta_2": 0.999, "epsilon": 1e-05,
                        "exclude_layers": ["output_dense"], "muon_a": 3.4445, "muon_b": -4.775, "muon_c": 2.0315, "adam_lr_ratio": 1,
                        "momentum": 0.95, "ns_steps": 5, "nesterov": true, "exclude_embeddings": true, "adam_weight_decay": null,
                        "rms_rate": null}}
            """)!, new Config(), "optimizer");
        Assert.Equal((0.5f, 1e-5f, "output_dense", (float?)null, (float?)null, 0.004f, "muon"),
            (optimizer.LearningRate, optimizer.Epsilon, optimizer.ExcludeLayers.Single(), optimizer.AdamWeightDecay, optimizer.RmsRate, optimizer.WeightDecay!.Value, optimizer.Name));

        Config? restoredConfig = null;
        (Sequential model, _) = TrainSaveAndResume("muon", loaded => restoredConfig = Assert.IsType<Muon>(loaded.Optimizer).GetConfig());
        Assert.IsType<Muon>(model.Optimizer);
        Assert.Equal(restoredConfig!.ToJson(), model.Optimizer!.GetConfig().ToJson());
    }

    [Fact]
    public void No_weight_decay_survives_the_config_as_Keras_null()
    {
        var muon = new Muon() { WeightDecay = null };
        Config config = muon.GetConfig();
        Assert.True(config.Keys.Contains("weight_decay") && config.GetNode("weight_decay") is null);
        var restored = (Muon)SerializationRegistry.Deserialize<Optimizer>(SerializationRegistry.Serialize(muon), new Config(), "optimizer");
        Assert.Null(restored.WeightDecay);
        Assert.Equal(0.004f, ((Muon)SerializationRegistry.Deserialize<Optimizer>(SerializationRegistry.Serialize(new Muon()), new Config(), "optimizer")).WeightDecay);
    }

    [Fact]
    public void An_optimizer_compiled_on_two_models_asks_the_model_it_steps_for_paths()
    {
        // Each model excludes its own output layer by name; the optimizer was compiled on b last, then a trains.
        Sequential Model(string output) => new([new InputLayer(4), new Dense(5, name: "hidden"), new Dense(3, name: output)], seed: 4);
        Sequential a = Model("head_a"), b = Model("head_b");
        var muon = new Muon(0.01f, excludeLayers: ["head_a"]);
        a.Compile(muon, new NeuralNet.Losses.MeanSquaredError());
        b.Compile(muon, new NeuralNet.Losses.MeanSquaredError());
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 4), 1), y = Tensor.RandomNormal(new TensorShape(8, 3), 2);

        a.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);

        Parameter head = a.Layers.Single(l => l.Name == "head_a").Parameters.Single(p => p.Name == "kernel");
        Parameter hidden = a.Layers.Single(l => l.Name == "hidden").Parameters.Single(p => p.Name == "kernel");
        Assert.Equal((true, false), (muon.UsesAdamW(head), muon.UsesAdamW(hidden)));
        Assert.Equal(head.Shape, muon.GetState(head)[1].Shape);
    }

    [Fact]
    public void Empty_parameters_are_stepped_without_error()
    {
        var empty = new Parameter("kernel", new TensorShape(0, 4), true, null);
        var kernel = Parameter("kernel", new TensorShape(2, 2), [1f, 2f, 3f, 4f]);
        Gradient(kernel, [1f, 1f, 1f, 1f]);
        new Muon(0.1f).Step([empty, kernel]);
        new Adafactor(0.1f).Step([empty, kernel]);
        Assert.All(kernel.Value.ToArray(), w => Assert.True(float.IsFinite(w)));
        Assert.NotEqual([1f, 2f, 3f, 4f], kernel.Value.ToArray());
    }

    [Fact]
    public void Bad_hyper_parameters_are_refused_naming_them()
    {
        Assert.Equal("adamBeta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Muon(adamBeta1: 1f)).ParamName);
        Assert.Equal("adamWeightDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new Muon(adamWeightDecay: -1f)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Muon(momentum: 1.5f)).ParamName);
        Assert.Equal("nsSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new Muon(nsSteps: -1)).ParamName);
        Assert.Equal("muonA", Assert.Throws<ArgumentOutOfRangeException>(() => new Muon(muonA: float.NaN)).ParamName);
        Assert.Equal("rmsRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Muon(rmsRate: -0.1f)).ParamName);
        var ex = Assert.Throws<ArgumentException>(() => new Muon(excludeLayers: ["ok", "(unclosed"]));
        Assert.Contains("excludeLayers[1]", ex.Message, StringComparison.Ordinal);
        var defaults = new Muon();
        Assert.Equal((0.001f, 0.9f, 0.999f, 0.004f, 1e-7f, 0.95f, 5, true, 0.2f, 0.004f, 1f),
            (defaults.LearningRate, defaults.AdamBeta1, defaults.AdamBeta2, defaults.AdamWeightDecay!.Value, defaults.Epsilon, defaults.Momentum, defaults.NsSteps, defaults.Nesterov, defaults.RmsRate!.Value, defaults.WeightDecay!.Value, defaults.AdamLearningRateRatio));
    }
}

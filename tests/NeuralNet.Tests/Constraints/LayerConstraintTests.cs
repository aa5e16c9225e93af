using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;
using UnitNorm = NeuralNet.Constraints.UnitNorm;

namespace NeuralNet.Tests.Constraints;

/// <summary>
/// The constraint arguments of the Keras 3 layers beyond Dense, the convolutions and the recurrent layers:
/// <c>embeddings_constraint</c> (Embedding), <c>gamma_constraint</c> / <c>beta_constraint</c> (BatchNormalization,
/// LayerNormalization, GroupNormalization), <c>depthwise_constraint</c> / <c>pointwise_constraint</c> /
/// <c>bias_constraint</c> (DepthwiseConv2D, SeparableConv2D), <c>alpha_constraint</c> (PReLU) and
/// <c>kernel_constraint</c> / <c>bias_constraint</c> (MultiHeadAttention, on all four of its EinsumDense projections).
/// </summary>
public class LayerConstraintTests
{
    public static TheoryData<string> LayerClasses =>
        ["Embedding", "BatchNormalization", "LayerNormalization", "GroupNormalization", "DepthwiseConv2D", "SeparableConv2D", "PReLU", "MultiHeadAttention"];

    // Each layer built with its constraints, and for each of its parameters the constraint it must carry (null for none).
    private static (Layer Layer, (Parameter Parameter, Constraint? Expected)[] Parameters) BuiltCase(string layerClass)
    {
        switch (layerClass)
        {
            case "Embedding":
            {
                var layer = new Embedding(6, 3) { EmbeddingsConstraint = new MaxNorm(1f) };
                layer.Build(new TensorShape(2));
                return (layer, [(layer.Embeddings, layer.EmbeddingsConstraint)]);
            }

            case "BatchNormalization":
            {
                var layer = new BatchNormalization { GammaConstraint = new MaxNorm(1f), BetaConstraint = new NonNeg() };
                layer.Build(new TensorShape(4));
                return (layer, [(layer.Gamma!, layer.GammaConstraint), (layer.Beta!, layer.BetaConstraint), (layer.MovingMean, null), (layer.MovingVariance, null)]);
            }

            case "LayerNormalization":
            {
                var layer = new LayerNormalization { GammaConstraint = new NonNeg(), BetaConstraint = new MaxNorm(1f) };
                layer.Build(new TensorShape(3, 4));
                return (layer, [(layer.Gamma!, layer.GammaConstraint), (layer.Beta!, layer.BetaConstraint)]);
            }

            case "GroupNormalization":
            {
                var layer = new GroupNormalization(2) { GammaConstraint = new MaxNorm(1f), BetaConstraint = new NonNeg() };
                layer.Build(new TensorShape(3, 4));
                return (layer, [(layer.Gamma!, layer.GammaConstraint), (layer.Beta!, layer.BetaConstraint)]);
            }

            case "DepthwiseConv2D":
            {
                var layer = new DepthwiseConv2D(2, depthMultiplier: 2) { DepthwiseConstraint = new MaxNorm(1f), BiasConstraint = new NonNeg() };
                layer.Build(new TensorShape(4, 4, 2));
                return (layer, [(layer.Kernel, layer.DepthwiseConstraint), (layer.Bias!, layer.BiasConstraint)]);
            }

            case "SeparableConv2D":
            {
                var layer = new SeparableConv2D(3, 2, depthMultiplier: 2)
                {
                    DepthwiseConstraint = new NonNeg(), PointwiseConstraint = new MaxNorm(1f), BiasConstraint = new NonNeg(),
                };
                layer.Build(new TensorShape(4, 4, 2));
                return (layer, [(layer.DepthwiseKernel, layer.DepthwiseConstraint), (layer.PointwiseKernel, layer.PointwiseConstraint), (layer.Bias!, layer.BiasConstraint)]);
            }

            case "PReLU":
            {
                var layer = new PReLU(sharedAxes: [1]) { AlphaConstraint = new NonNeg() };
                layer.Build(new TensorShape(3, 2));
                return (layer, [(layer.Alpha, layer.AlphaConstraint)]);
            }

            default:
            {
                var layer = new MultiHeadAttention(2, 3) { KernelConstraint = new MaxNorm(1f), BiasConstraint = new NonNeg() };
                layer.Build(new TensorShape(4, 5), new TensorShape(4, 5));
                return (layer,
                [
                    (layer.QueryKernel, layer.KernelConstraint), (layer.QueryBias!, layer.BiasConstraint),
                    (layer.KeyKernel, layer.KernelConstraint), (layer.KeyBias!, layer.BiasConstraint),
                    (layer.ValueKernel, layer.KernelConstraint), (layer.ValueBias!, layer.BiasConstraint),
                    (layer.OutputKernel, layer.KernelConstraint), (layer.OutputBias!, layer.BiasConstraint),
                ]);
            }
        }
    }

    // Keras 3 keras/src/optimizers/optimizer_test.py, test_constraints_are_applied: after a step (here with a zero
    // gradient) every constrained variable is projected. NonNeg zeroes the negatives; MaxNorm(1) (axis 0) scales each
    // axis-0 column of norm above 1 down to norm 1 (every column here starts above 1). The statistics BatchNormalization
    // tracks itself take no constraint and stay as they are.
    [Theory]
    [MemberData(nameof(LayerClasses))]
    public void OptimizerStep_ProjectsEachConstrainedWeight_WithItsOwnConstraint(string layerClass)
    {
        (Layer layer, (Parameter Parameter, Constraint? Expected)[] parameters) = BuiltCase(layerClass);
        Assert.Equal(parameters.Length, layer.Parameters.Count);
        var originals = new List<float[]>();
        foreach ((Parameter parameter, Constraint? expected) in parameters)
        {
            Assert.Same(expected, parameter.Constraint);
            Span<float> values = parameter.Value.AsSpan();
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (i % 2 == 0 ? -1f : 1f) * (2f + (0.5f * i));
            }

            originals.Add(values.ToArray());
        }

        new Sgd(0.01f).Step(layer.Parameters);

        for (int p = 0; p < parameters.Length; p++)
        {
            (Parameter parameter, Constraint? expected) = parameters[p];
            float[] original = originals[p], actual = parameter.Value.ToArray();
            switch (expected)
            {
                case null:
                    Assert.Equal(original, actual);
                    break;
                case NonNeg:
                    Assert.Equal(original.Select(v => Math.Max(v, 0f)).ToArray(), actual);
                    break;
                default:
                    int columns = original.Length / parameter.Shape[0];
                    double[] before = ColumnNorms(original, columns), after = ColumnNorms(actual, columns);
                    for (int i = 0; i < original.Length; i++)
                    {
                        float factor = (float)(1.0 / (1e-7 + before[i % columns]));
                        Assert.Equal(original[i] * factor, actual[i], 1e-5f);
                    }

                    Assert.All(after, norm => Assert.Equal(1.0, norm, 1e-5));
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(LayerClasses))]
    public void Recreate_KeepsTheConstraints_UnderKerasKeys(string layerClass)
    {
        (Layer layer, (Parameter Parameter, Constraint? Expected)[] parameters) = BuiltCase(layerClass);
        Config config = layer.GetConfig();
        string[] keys = [.. config.Json.Select(p => p.Key).Where(k => k.EndsWith("_constraint", StringComparison.Ordinal))];
        Assert.Equal(ExpectedKeys(layerClass), keys);
        Assert.All(keys, key => Assert.NotNull(config.Json[key]));

        Layer copy = SerializationRegistry.Recreate(layer);

        Assert.Equal(config.ToJson(), copy.GetConfig().ToJson());
        Assert.Equal(ConstraintsOf(layer).Select(c => c!.GetType()), ConstraintsOf(copy).Select(c => c?.GetType()));
        Assert.All(ConstraintsOf(copy), c => Assert.NotNull(c));
        copy.Build([.. layer.InputShapes]);
        Assert.Equal(parameters.Select(p => p.Expected?.GetType()), copy.Parameters.Select(p => p.Constraint?.GetType()));
    }

    [Fact]
    public void UnconstrainedLayers_WriteNullConstraints_AsKerasDoes()
    {
        Assert.Null(new Embedding(4, 2).GetConfig().Json["embeddings_constraint"]);
        Assert.True(new PReLU().GetConfig().Json.ContainsKey("alpha_constraint"));
        Assert.Null(new PReLU().GetConfig().Json["alpha_constraint"]);
        Config attention = new MultiHeadAttention(2, 3).GetConfig();
        Assert.True(attention.Json.ContainsKey("kernel_constraint") && attention.Json.ContainsKey("bias_constraint"));
        Assert.Null(attention.Json["kernel_constraint"]);
    }

    // Configurations as Keras 3 writes them (keras.saving.serialize_keras_object): the constraint as an object with module
    // and registered_name.
    [Theory]
    [InlineData("Embedding", """{"input_dim": 10, "output_dim": 4, "embeddings_constraint": C}""")]
    [InlineData("BatchNormalization", """{"axis": -1, "gamma_constraint": C, "beta_constraint": "non_neg"}""")]
    [InlineData("LayerNormalization", """{"axis": -1, "gamma_constraint": C, "beta_constraint": "non_neg"}""")]
    [InlineData("GroupNormalization", """{"groups": 2, "gamma_constraint": C, "beta_constraint": "non_neg"}""")]
    [InlineData("DepthwiseConv2D", """{"kernel_size": [3, 3], "depthwise_constraint": C, "bias_constraint": "non_neg"}""")]
    [InlineData("SeparableConv2D", """{"filters": 4, "kernel_size": [3, 3], "depthwise_constraint": C, "pointwise_constraint": C, "bias_constraint": "non_neg"}""")]
    [InlineData("PReLU", """{"alpha_constraint": C, "shared_axes": null}""")]
    [InlineData("MultiHeadAttention", """{"num_heads": 2, "key_dim": 3, "kernel_constraint": C, "bias_constraint": "non_neg"}""")]
    public void KerasConfig_WithTheConstraintKeys_Loads(string layerClass, string config)
    {
        const string MaxNormJson = """{"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2.5, "axis": [0, 1]}, "registered_name": null}""";
        JsonNode node = JsonNode.Parse(
            $$"""{"module": "keras.layers", "class_name": "{{layerClass}}", "config": {{config.Replace("C", MaxNormJson, StringComparison.Ordinal)}}, "registered_name": null}""")!;

        node["config"]!["name"] = "keras_layer";
        Layer layer = SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer");

        Assert.Equal(layerClass, SerializationRegistry.Serialize(layer)["class_name"]!.GetValue<string>());
        Constraint?[] constraints = ConstraintsOf(layer);
        Assert.Equal(ExpectedKeys(layerClass).Length, constraints.Length);
        foreach (Constraint? constraint in constraints)
        {
            if (constraint is MaxNorm maxNorm)
            {
                Assert.Equal(2.5f, maxNorm.MaxValue);
                Assert.Equal([0, 1], maxNorm.Axes);
            }
            else
            {
                Assert.IsType<NonNeg>(constraint);
            }
        }

        Assert.Contains(constraints, c => c is MaxNorm);
    }

    [Fact]
    public void KerasConfig_ConstraintKeyTheLayerDoesNotHave_Refused()
    {
        JsonNode node = JsonNode.Parse("""{"class_name": "LayerNormalization", "config": {"name": "ln", "kernel_constraint": "non_neg"}}""")!;
        var e = Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer"));
        Assert.Contains("LayerNormalization 'ln': \"kernel_constraint\" is not supported", e.Message, StringComparison.Ordinal);

        node = JsonNode.Parse("""{"class_name": "Embedding", "config": {"input_dim": 3, "output_dim": 2, "bias_constraint": "non_neg"}}""")!;
        e = Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer"));
        Assert.Contains("\"bias_constraint\" is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ConstraintAxisOutsideTheWeight_RefusedNamingLayerAndWeight()
    {
        var layer = new PReLU(name: "act") { AlphaConstraint = new MaxNorm(1f, axis: 2) };
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(4)));
        Assert.Contains("PReLU 'act'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'alpha'", e.Message, StringComparison.Ordinal);

        var norm = new BatchNormalization(name: "bn") { GammaConstraint = new UnitNorm(1) };
        e = Assert.Throws<ArgumentException>(() => norm.Build(new TensorShape(3, 3, 2)));
        Assert.Contains("'gamma'", e.Message, StringComparison.Ordinal);
    }

    // Fit, then the weights satisfy their constraints; Save and Load keep the constraints (and the projected weights).
    [Fact]
    public void Fit_SequenceModel_WeightsStayProjected_AndSaveLoadKeepsTheConstraints()
    {
        var tokens = new Input(5);
        var embedding = new Embedding(12, 6, name: "embedding") { EmbeddingsConstraint = new UnitNorm(1) };
        var attention = new MultiHeadAttention(2, 3, name: "attention") { KernelConstraint = new UnitNorm(), BiasConstraint = new NonNeg() };
        var layerNorm = new LayerNormalization(name: "layer_norm") { GammaConstraint = new UnitNorm(), BetaConstraint = new NonNeg() };
        var groupNorm = new GroupNormalization(2, name: "group_norm") { GammaConstraint = new MaxNorm(0.5f), BetaConstraint = new NonNeg() };
        var prelu = new PReLU(new Constant(-0.25f), name: "prelu") { AlphaConstraint = new NonNeg() };
        SymbolicTensor embedded = embedding.Call(tokens);
        SymbolicTensor h = groupNorm.Call(layerNorm.Call(attention.Call(embedded, embedded)));
        var model = new Functional(tokens, new Dense(2, ActivationFunction.Softmax).Call(prelu.Call(new Flatten().Call(h))), seed: 8);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        float[] ids = new float[32 * 5], labels = new float[32 * 2];
        for (int s = 0; s < 32; s++)
        {
            for (int t = 0; t < 5; t++)
            {
                ids[(s * 5) + t] = ((s * 7) + (t * 3)) % 12;
            }

            labels[(s * 2) + (s % 2)] = 1f;
        }

        Assert.Contains(prelu.Alpha.Value.ToArray(), a => a < 0);
        model.Fit(Tensor.FromArray(ids, 32, 5), Tensor.FromArray(labels, 32, 2), epochs: 2, batchSize: 8, verbose: 0);

        Assert.All(RowNorms(embedding.Embeddings.Value), n => Assert.Equal(1.0, n, 1e-5));
        foreach (Parameter kernel in new[] { attention.QueryKernel, attention.KeyKernel, attention.ValueKernel, attention.OutputKernel })
        {
            Assert.All(ColumnNorms(kernel.Value.ToArray(), kernel.Value.Length / kernel.Shape[0]), n => Assert.Equal(1.0, n, 1e-5));
        }

        Assert.All(new[] { attention.QueryBias!, attention.KeyBias!, attention.ValueBias!, attention.OutputBias!, layerNorm.Beta!, groupNorm.Beta!, prelu.Alpha },
            p => Assert.All(p.Value.ToArray(), v => Assert.True(v >= 0f, $"{p.Name} holds {v}")));
        Assert.Equal(1.0, Norm(layerNorm.Gamma!.Value.ToArray()), 1e-5);
        Assert.True(Norm(groupNorm.Gamma!.Value.ToArray()) <= 0.5 + 1e-6);

        Model loaded = SaveAndLoad(model);
        foreach (string name in new[] { "embedding", "attention", "layer_norm", "group_norm", "prelu" })
        {
            Layer original = model.Layers.First(l => l.Name == name), copy = loaded.Layers.First(l => l.Name == name);
            Assert.Equal(original.GetConfig().ToJson(), copy.GetConfig().ToJson());
            Assert.Equal(ConstraintsOf(original).Select(c => c?.GetType()), ConstraintsOf(copy).Select(c => c?.GetType()));
            Assert.Equal(original.Parameters.Select(p => p.Constraint?.GetType()), copy.Parameters.Select(p => p.Constraint?.GetType()));
        }
    }

    [Fact]
    public void Fit_ImageModel_WeightsStayProjected_SaveLoadKeepsThem_AndAStepAllocatesNothing()
    {
        var depthwise = new DepthwiseConv2D(3, name: "depthwise") { DepthwiseConstraint = new UnitNorm(0, 1), BiasConstraint = new NonNeg() };
        var batchNorm = new BatchNormalization(name: "batch_norm") { GammaConstraint = new UnitNorm(), BetaConstraint = new NonNeg() };
        var separable = new SeparableConv2D(3, 2, depthMultiplier: 2, biasInitializer: new Constant(-0.5f), name: "separable")
        {
            DepthwiseConstraint = new MaxNorm(0.3f, axis: [0, 1]), PointwiseConstraint = new UnitNorm(0, 1, 2), BiasConstraint = new NonNeg(),
        };
        var model = new Sequential([new InputLayer(6, 6, 2), depthwise, batchNorm, separable, new Flatten(), new Dense(2, ActivationFunction.Softmax)], seed: 9);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy());
        var random = new SeededRandom(12);
        float[] x = new float[16 * 6 * 6 * 2], y = new float[16 * 2];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(random.NextDouble() - 0.5) + ((i / 72) % 2 == 0 ? 0.5f : -0.5f);
        }

        for (int s = 0; s < 16; s++)
        {
            y[(s * 2) + (s % 2)] = 1f;
        }

        Tensor images = Tensor.FromArray(x, 16, 6, 6, 2), targets = Tensor.FromArray(y, 16, 2);
        Assert.Contains(separable.Bias!.Value.ToArray(), b => b < 0);
        model.Fit(images, targets, epochs: 2, batchSize: 8, verbose: 0);

        // (3, 3, channels, multiplier): one norm per (channel, multiplier) over the 3 x 3 taps.
        Assert.All(ColumnNorms(depthwise.Kernel.Value.ToArray(), 2), n => Assert.Equal(1.0, n, 1e-5));
        Assert.All(ColumnNorms(separable.DepthwiseKernel.Value.ToArray(), 4), n => Assert.True(n <= 0.3 + 1e-6, $"depthwise norm {n}"));
        Assert.All(ColumnNorms(separable.PointwiseKernel.Value.ToArray(), 3), n => Assert.Equal(1.0, n, 1e-5));
        Assert.Equal(1.0, Norm(batchNorm.Gamma!.Value.ToArray()), 1e-5);
        Assert.All(new[] { depthwise.Bias!, batchNorm.Beta!, separable.Bias! }, p => Assert.All(p.Value.ToArray(), v => Assert.True(v >= 0f, $"{p.Name} holds {v}")));

        Model loaded = SaveAndLoad(model);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(model.Layers[i].GetConfig().ToJson(), loaded.Layers[i].GetConfig().ToJson());
            Assert.Equal(model.Layers[i].Parameters.Select(p => p.Constraint?.GetType()), loaded.Layers[i].Parameters.Select(p => p.Constraint?.GetType()));
        }

        Tensor batch = images.Slice(0, 8), batchTargets = targets.Slice(0, 8);
        model.TrainStep(batch, batchTargets);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.TrainStep(batch, batchTargets);
            }
        });
    }

    private static string[] ExpectedKeys(string layerClass) => layerClass switch
    {
        "Embedding" => ["embeddings_constraint"],
        "BatchNormalization" or "LayerNormalization" or "GroupNormalization" => ["beta_constraint", "gamma_constraint"],
        "DepthwiseConv2D" => ["depthwise_constraint", "bias_constraint"],
        "SeparableConv2D" => ["depthwise_constraint", "pointwise_constraint", "bias_constraint"],
        "PReLU" => ["alpha_constraint"],
        _ => ["kernel_constraint", "bias_constraint"],
    };

    // The constraint properties of a layer, in the order of ExpectedKeys.
    private static Constraint?[] ConstraintsOf(Layer layer) => layer switch
    {
        Embedding e => [e.EmbeddingsConstraint],
        BatchNormalization b => [b.BetaConstraint, b.GammaConstraint],
        LayerNormalization l => [l.BetaConstraint, l.GammaConstraint],
        GroupNormalization g => [g.BetaConstraint, g.GammaConstraint],
        DepthwiseConv2D d => [d.DepthwiseConstraint, d.BiasConstraint],
        SeparableConv2D s => [s.DepthwiseConstraint, s.PointwiseConstraint, s.BiasConstraint],
        PReLU p => [p.AlphaConstraint],
        MultiHeadAttention m => [m.KernelConstraint, m.BiasConstraint],
        _ => throw new ArgumentException($"no constraints listed for {layer.GetType().Name}", nameof(layer)),
    };

    private static Model SaveAndLoad(Model model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"layer-constraints-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            return Model.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // The Euclidean norm over axis 0 of each of the trailing positions of a row-major array with `columns` of them.
    private static double[] ColumnNorms(float[] values, int columns)
    {
        var sums = new double[columns];
        for (int i = 0; i < values.Length; i++)
        {
            sums[i % columns] += (double)values[i] * values[i];
        }

        return sums.Select(Math.Sqrt).ToArray();
    }

    private static double[] RowNorms(Tensor w)
    {
        int rows = w.Shape[0], columns = w.Length / rows;
        float[] values = w.ToArray();
        return Enumerable.Range(0, rows).Select(r => Norm(values.AsSpan(r * columns, columns).ToArray())).ToArray();
    }

    private static double Norm(float[] values) => Math.Sqrt(values.Sum(v => (double)v * v));
}

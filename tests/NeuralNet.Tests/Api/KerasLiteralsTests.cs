using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Api;

/// <summary>
/// Hyper-parameters written as Keras writes them (Python floats, which C# reads as double: <c>1e-3</c>, <c>0.9</c>,
/// <c>1.0 / 255</c>) compile and are used as float32, as Keras' variables are; a float argument (what callers passed
/// when the parameters were float) gives the same bits; and a double that float32 cannot hold where the value must be
/// finite or positive is refused, naming the parameter and the value given.
/// </summary>
public class KerasLiteralsTests
{
    // --- Layers, activations, constraints, initializers: the value kept is (float)literal. ---

    [Fact]
    public void Layers_KerasLiterals_KeepTheirFloat32Values()
    {
        var batchNorm = new BatchNormalization(momentum: 0.9, epsilon: 1e-5);
        Assert.Equal((float)0.9, batchNorm.Momentum);
        Assert.Equal((float)1e-5, batchNorm.Epsilon);
        Assert.Equal((float)1e-5, new GroupNormalization(groups: 2, epsilon: 1e-5).Epsilon);
        Assert.Equal((float)1e-6, new LayerNormalization(epsilon: 1e-6).Epsilon);
        Assert.Equal((float)1e-6, new LayerNormalization([1, 2], epsilon: 1e-6).Epsilon);
        Assert.Equal((float)1e-5, new RMSNormalization(epsilon: 1e-5).Epsilon);
        Assert.Equal((float)1e-5, new RMSNormalization([1, 2], epsilon: 1e-5).Epsilon);
        Assert.Equal((float)0.5, new ELU(0.5).Alpha);
        Assert.Equal((float)0.1, new LeakyReLU(0.1).NegativeSlope);
        Assert.Equal((float)-1.0, new Masking(-1.0).MaskValue);
        var relu = new ReLU(maxValue: 6.0, negativeSlope: 0.1, threshold: 0.5);
        Assert.Equal((float)6.0, relu.MaxValue);
        Assert.Equal((float)0.1, relu.NegativeSlope);
        Assert.Equal((float)0.5, relu.Threshold);
        var rescaling = new Rescaling(1.0 / 127.5, offset: -1.0);
        Assert.Equal((float)(1.0 / 127.5), rescaling.Scale);
        Assert.Equal(-1f, rescaling.Offset);
        Assert.Equal((float)(1.0 / 255), new Rescaling(1.0 / 255).Scale);
        Assert.Equal(new[] { (float)0.1, (float)0.2, (float)0.3 }, new Rescaling([0.1, 0.2, 0.3]).ChannelScales!);
        Assert.Equal((float)0.1, new ScalarArithmetic(ArithmeticOperator.Multiply, 0.1).Constant);
        Assert.Equal((float)1e-6, new LayerScale(1e-6, 8).InitValues);
        var clip = new Clip(-0.1, 6.0);
        Assert.Equal((float)-0.1, clip.Min);
        Assert.Equal(6f, clip.Max);
        var where = new Where(0.1, -1e9);
        Assert.Equal((float)0.1, where.WhenTrue);
        Assert.Equal((float)-1e9, where.WhenFalse);
        Assert.Equal((float)0.5, new Comparison(ComparisonOperator.Greater, 0.5).Constant);
        Assert.Equal((float)30.0, new ReversibleEmbedding(10, 4, logitSoftCap: 30.0).LogitSoftCap);
        var dense = new Dense(3);
        dense.Build(new TensorShape(4));
        dense.EnableLora(2, 0.3);
        Assert.Equal((float)0.3, dense.LoraAlpha);

        Assert.Equal((float)0.3, new Elu(0.3).Alpha);
        Assert.Equal((float)0.1, new LeakyRelu(0.1).NegativeSlope);
        Assert.Equal((float)3.0, new MaxNorm(3.0).MaxValue);
        var minMax = new MinMaxNorm(0.1, 2.5, 0.7);
        Assert.Equal(((float)0.1, 2.5f, (float)0.7), (minMax.MinValue, minMax.MaxValue, minMax.Rate));
        Assert.Equal((float)0.1, new Constant(0.1).Value);
    }

    [Fact]
    public void Layers_Defaults_AreTheFloat32DefaultsTheyWere()
    {
        var batchNorm = new BatchNormalization();
        Assert.Equal((0.99f, 1e-3f), (batchNorm.Momentum, batchNorm.Epsilon));
        Assert.Equal(1e-3f, new GroupNormalization().Epsilon);
        Assert.Equal(1e-3f, new LayerNormalization().Epsilon);
        Assert.Equal(1e-6f, new RMSNormalization().Epsilon);
        Assert.Equal(1f, new ELU().Alpha);
        Assert.Equal(0.3f, new LeakyReLU().NegativeSlope);
        Assert.Equal(0.2f, new LeakyRelu().NegativeSlope);
        Assert.Equal(2f, new MaxNorm().MaxValue);
    }

    // The value kept is the value used: the forward pass with the double literal is the formula in float32 with
    // (float)literal, bit for bit, and the same as with the float argument.
    [Fact]
    public void Layers_KerasLiterals_ComputeWithTheFloat32Value()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 6), 3, -300f, 300f);
        float[] xs = x.ToArray();

        float[] leaky = new LeakyReLU(0.1).Forward(x, training: false).ToArray();
        Assert.Equal(xs.Select(v => v > 0 ? v : v * (float)0.1), leaky);

        float[] rescaled = new Rescaling(1.0 / 255, offset: -0.5).Forward(x, training: false).ToArray();
        Assert.Equal(xs.Select(v => (v * (float)(1.0 / 255)) + (float)-0.5), rescaled);

        float[] scaled = new ScalarArithmetic(ArithmeticOperator.Multiply, 0.1).Forward(x, training: false).ToArray();
        Assert.Equal(xs.Select(v => v * (float)0.1), scaled);

        AssertSameForward(x, new BatchNormalization(momentum: 0.9, epsilon: 1e-5), new BatchNormalization(momentum: 0.9f, epsilon: 1e-5f), training: true);
        AssertSameForward(x, new LayerNormalization(epsilon: 1e-6), new LayerNormalization(epsilon: 1e-6f), training: true);
        AssertSameForward(x, new RMSNormalization(epsilon: 1e-5), new RMSNormalization(epsilon: 1e-5f), training: true);
        AssertSameForward(x, new ReLU(6.0, 0.1, 0.5), new ReLU(6f, 0.1f, 0.5f), training: false);
        AssertSameForward(x, new ELU(0.7), new ELU(0.7f), training: false);
        AssertSameForward(x, new Clip(-0.3, 0.7), new Clip(-0.3f, 0.7f), training: false);
    }

    [Fact]
    public void BatchNormalization_MomentumLiteral_UpdatesTheMovingStatisticsAsTheFloatArgument()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 5), 11);
        var fromDouble = new BatchNormalization(momentum: 0.9, epsilon: 1e-5);
        var fromFloat = new BatchNormalization(momentum: 0.9f, epsilon: 1e-5f);
        fromDouble.Forward(x, training: true);
        fromFloat.Forward(x, training: true);
        Assert.Equal(fromFloat.MovingMean.Value.ToArray(), fromDouble.MovingMean.Value.ToArray());
        Assert.Equal(fromFloat.MovingVariance.Value.ToArray(), fromDouble.MovingVariance.Value.ToArray());
        Assert.NotEqual(new float[5], fromDouble.MovingMean.Value.ToArray());
    }

    [Fact]
    public void Configs_KerasLiterals_WriteTheSameTextAsFloatArguments()
    {
        Assert.Equal(new BatchNormalization(0.9f, 1e-5f, name: "bn").GetConfig().ToJson(), new BatchNormalization(0.9, 1e-5, name: "bn").GetConfig().ToJson());
        Assert.Contains("\"momentum\":0.9,\"epsilon\":1E-05", new BatchNormalization(0.9, 1e-5, name: "bn").GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(new Rescaling(1f / 255, name: "r").GetConfig().ToJson(), new Rescaling(1.0 / 255, name: "r").GetConfig().ToJson());
        string adam = new Adam(1e-3, beta2: 0.98).GetConfig().ToJson();
        Assert.Equal(new Adam(1e-3f, beta2: 0.98f).GetConfig().ToJson(), adam);
        Assert.Contains("\"learning_rate\":0.001", adam, StringComparison.Ordinal);
        Assert.Contains("\"beta_2\":0.98", adam, StringComparison.Ordinal);
    }

    // --- Optimizers: every constructor with Keras' literals; the rate and hyper-parameters kept as float32. ---

    [Fact]
    public void Optimizers_KerasLiterals_KeepTheirFloat32Values()
    {
        var sgd = new Sgd(0.01, momentum: 0.9, nesterov: true);
        Assert.Equal((double)(float)0.01, sgd.LearningRate);
        Assert.Equal((float)0.9, sgd.Momentum);
        var adam = new Adam(1e-3, beta1: 0.9, beta2: 0.98, epsilon: 1e-9);
        Assert.Equal(((float)0.9, (float)0.98, (float)1e-9), (adam.Beta1, adam.Beta2, adam.Epsilon));
        Assert.Equal((double)(float)1e-3, adam.LearningRate);
        var adamW = new AdamW(1e-4, weightDecay: 0.05);
        Assert.Equal((float)0.05, adamW.WeightDecay);
        Assert.Equal((float)0.95, new Adamax(2e-3, beta2: 0.95).Beta2);
        Assert.Equal((float)0.95, new Nadam(2e-3, beta1: 0.95).Beta1);
        Assert.Equal((float)1e-6, new Lamb(1e-3, epsilon: 1e-6).Epsilon);
        var adagrad = new Adagrad(0.01, initialAccumulatorValue: 0.2, epsilon: 1e-6);
        Assert.Equal(((float)0.2, (float)1e-6), (adagrad.InitialAccumulatorValue, adagrad.Epsilon));
        var adadelta = new Adadelta(1.0, rho: 0.9, epsilon: 1e-6);
        Assert.Equal(((float)0.9, (float)1e-6), (adadelta.Rho, adadelta.Epsilon));
        var adafactor = new Adafactor(1e-2, beta2Decay: -0.7, epsilon1: 1e-30, epsilon2: 1e-3, clipThreshold: 1.5);
        Assert.Equal(((float)-0.7, (float)1e-30, (float)1e-3, 1.5f), (adafactor.Beta2Decay, adafactor.Epsilon1, adafactor.Epsilon2, adafactor.ClipThreshold));
        var ftrl = new Ftrl(0.1, learningRatePower: -0.6, initialAccumulatorValue: 0.2, l1RegularizationStrength: 0.01,
            l2RegularizationStrength: 0.02, l2ShrinkageRegularizationStrength: 0.03, beta: 0.1);
        Assert.Equal(((float)-0.6, (float)0.2, (float)0.01, (float)0.02, (float)0.03, (float)0.1),
            (ftrl.LearningRatePower, ftrl.InitialAccumulatorValue, ftrl.L1RegularizationStrength, ftrl.L2RegularizationStrength, ftrl.L2ShrinkageRegularizationStrength, ftrl.Beta));
        var lion = new Lion(1e-4, beta1: 0.95, beta2: 0.98);
        Assert.Equal(((float)0.95, (float)0.98), (lion.Beta1, lion.Beta2));
        var muon = new Muon(0.02, adamBeta1: 0.8, adamBeta2: 0.95, adamWeightDecay: 0.1, epsilon: 1e-8, muonA: 3.4, muonB: -4.7, muonC: 2.0,
            adamLearningRateRatio: 0.5, momentum: 0.9, rmsRate: 0.3);
        Assert.Equal(((float)0.8, (float)0.95, (float?)0.1, (float)1e-8, (float)3.4, (float)-4.7, 2f, 0.5f, (float)0.9, (float?)0.3),
            (muon.AdamBeta1, muon.AdamBeta2, muon.AdamWeightDecay, muon.Epsilon, muon.MuonA, muon.MuonB, muon.MuonC, muon.AdamLearningRateRatio, muon.Momentum, muon.RmsRate));
        var rmsProp = new RmsProp(1e-3, rho: 0.95, momentum: 0.9, epsilon: 1e-6, centered: true);
        Assert.Equal(((float)0.95, (float)0.9, (float)1e-6), (rmsProp.Rho, rmsProp.Momentum, rmsProp.Epsilon));
        var scheduleFree = new ScheduleFreeAdamW(0.0025, beta1: 0.95, beta2: 0.99, epsilon: 1e-6);
        Assert.Equal(((float)0.95, (float)0.99, (float)1e-6), (scheduleFree.Beta1, scheduleFree.Beta2, scheduleFree.Epsilon));
    }

    [Fact]
    public void Optimizers_Defaults_AreTheFloat32DefaultsTheyWere()
    {
        var adam = new Adam();
        Assert.Equal((0.001f, 0.9f, 0.999f, 1e-7f), ((float)adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon));
        Assert.Equal(0.01f, (float)new Sgd().LearningRate);
        Assert.Equal(0.004f, new AdamW().WeightDecay);
        Assert.Equal(0.0025f, (float)new ScheduleFreeAdamW().LearningRate);
        Assert.Equal(1e-8f, new ScheduleFreeAdamW().Epsilon);
        var adafactor = new Adafactor();
        Assert.Equal((-0.8f, 1e-30f, 1e-3f, 1f), (adafactor.Beta2Decay, adafactor.Epsilon1, adafactor.Epsilon2, adafactor.ClipThreshold));
        var muon = new Muon();
        Assert.Equal((3.4445f, -4.7750f, 2.0315f, 0.95f, (float?)0.2f, (float?)0.004f), (muon.MuonA, muon.MuonB, muon.MuonC, muon.Momentum, muon.RmsRate, muon.AdamWeightDecay));
        Assert.Equal(0.95f, new Adadelta().Rho);
        Assert.Equal(-0.5f, new Ftrl().LearningRatePower);
        Assert.Equal(0.99f, new Lion().Beta2);
    }

    public static TheoryData<string> OptimizerNames => new()
    {
        "sgd", "adam", "adamw", "adamax", "nadam", "lamb", "adagrad", "adadelta", "adafactor", "ftrl", "lion", "muon", "rmsprop", "schedule_free_adamw",
    };

    // A caller passing floats (the only way before) and one passing Keras' double literals get the same weights, bit for
    // bit, after three steps, and the same configuration text.
    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Step_DoubleLiterals_GiveTheWeightsOfTheFloatArguments(string name)
    {
        float[] fromFloat = ThreeSteps(Optimizer(name, fromDoubles: false), out string floatConfig);
        float[] fromDouble = ThreeSteps(Optimizer(name, fromDoubles: true), out string doubleConfig);
        Assert.Equal(fromFloat, fromDouble);
        Assert.Equal(floatConfig, doubleConfig);
        Assert.NotEqual(Start(), fromDouble);
    }

    [Fact]
    public void Step_Adam1eMinus3_MatchesKerasRuleInFloat32WithTheFloat32Rate()
    {
        // Keras' Adam, step 1 from zero slots: m = g (1 - b1), v = g^2 (1 - b2), alpha = lr sqrt(1 - b2) / (1 - b1),
        // w -= alpha m / (sqrt(v) + eps), in float32 with the float32 rate (float)1e-3 and the complements taken in float64.
        var p = new Parameter("kernel", new TensorShape(3), true, null);
        float[] w0 = [0.5f, -1.25f, 2f], g = [0.1f, -0.3f, 0.7f];
        w0.CopyTo(p.Value.AsSpan());
        g.CopyTo(p.Gradient.AsSpan());
        new Adam(1e-3).Step([p]);

        float lr = (float)1e-3, oneMinusB1 = (float)(1.0 - 0.9), oneMinusB2 = (float)(1.0 - 0.999), eps = (float)1e-7;
        float alpha = (float)(lr * Math.Sqrt(1.0 - 0.999) / (1.0 - 0.9));
        float[] expected = new float[3];
        for (int i = 0; i < 3; i++)
        {
            float m = 0f + ((g[i] - 0f) * oneMinusB1), v = 0f + (((g[i] * g[i]) - 0f) * oneMinusB2);
            expected[i] = w0[i] - ((m * alpha) / (MathF.Sqrt(v) + eps));
        }

        Assert.Equal(expected, p.Value.ToArray());
    }

    [Fact]
    public void LearningRate_SetFromADouble_IsKeptAsFloat32()
    {
        var sgd = new Sgd(0.1);
        sgd.LearningRate = 1e-4; // Keras: optimizer.learning_rate = 1e-4, in a callback
        Assert.Equal((double)(float)1e-4, sgd.LearningRate);
        sgd.LearningRate = 1e-50; // positive, below float32's smallest: 0, a valid (frozen) rate
        Assert.Equal(0.0, sgd.LearningRate);
    }

    // --- Refusals: what float32 cannot hold where a finite (or positive) value is needed, before anything changes. ---

    private static readonly Dictionary<string, (Action Create, string Parameter, string Shown)> s_refused = new()
    {
        ["BatchNormalization epsilon 1e-50"] = (() => new BatchNormalization(epsilon: 1e-50), "epsilon", "epsilon=1E-50 (0 as float32)"),
        ["BatchNormalization epsilon 1e39"] = (() => new BatchNormalization(epsilon: 1e39), "epsilon", "epsilon=1E+39 (beyond float32's range"),
        ["GroupNormalization epsilon 1e-50"] = (() => new GroupNormalization(epsilon: 1e-50), "epsilon", "epsilon=1E-50"),
        ["LayerNormalization epsilon 1e-50"] = (() => new LayerNormalization(epsilon: 1e-50), "epsilon", "epsilon=1E-50"),
        ["LayerNormalization axes epsilon 1e39"] = (() => new LayerNormalization([1], epsilon: 1e39), "epsilon", "epsilon=1E+39"),
        ["RMSNormalization epsilon 1e-50"] = (() => new RMSNormalization(epsilon: 1e-50), "epsilon", "epsilon=1E-50"),
        ["RMSNormalization axes epsilon 1e-50"] = (() => new RMSNormalization([1], epsilon: 1e-50), "epsilon", "epsilon=1E-50"),
        ["ELU alpha 1e39"] = (() => new ELU(1e39), "alpha", "alpha=1E+39"),
        ["LeakyReLU negativeSlope 1e39"] = (() => new LeakyReLU(1e39), "negativeSlope", "negativeSlope=1E+39"),
        ["Masking maskValue -1e39"] = (() => new Masking(-1e39), "maskValue", "maskValue=-1E+39"),
        ["ReLU maxValue 1e39"] = (() => new ReLU(maxValue: 1e39), "maxValue", "maxValue=1E+39"),
        ["ReLU threshold 1e39"] = (() => new ReLU(threshold: 1e39), "threshold", "threshold=1E+39"),
        ["Rescaling scale 1e39"] = (() => new Rescaling(1e39), "scale", "scale=1E+39"),
        ["Rescaling offset -1e39"] = (() => new Rescaling(1.0 / 255, -1e39), "offset", "offset=-1E+39"),
        ["Rescaling per-channel 1e39"] = (() => new Rescaling([0.5, 1e39]), "scale", "scale[1]=1E+39"),
        ["ScalarArithmetic constant 1e39"] = (() => new ScalarArithmetic(ArithmeticOperator.Add, 1e39), "constant", "constant=1E+39"),
        ["LayerScale initValues 1e39"] = (() => new LayerScale(1e39, 4), "initValues", "initValues=1E+39"),
        ["Clip max 1e39"] = (() => new Clip(0.0, 1e39), "max", "x_max=1E+39"),
        ["Clip min -1e39"] = (() => new Clip(-1e39, 1.0), "min", "x_min=-1E+39"),
        ["Where whenFalse -1e39"] = (() => new Where(null, -1e39), "whenFalse", "whenFalse=-1E+39"),
        ["Comparison constant 1e39"] = (() => new Comparison(ComparisonOperator.Less, 1e39), "constant", "constant=1E+39"),
        ["ReversibleEmbedding logitSoftCap 1e-50"] = (() => new ReversibleEmbedding(10, 4, logitSoftCap: 1e-50), "logitSoftCap", "logitSoftCap=1E-50"),
        ["ReversibleEmbedding logitSoftCap 1e39"] = (() => new ReversibleEmbedding(10, 4, logitSoftCap: 1e39), "logitSoftCap", "logitSoftCap=1E+39"),
        ["Elu alpha 1e39"] = (() => new Elu(1e39), "alpha", "alpha=1E+39"),
        ["LeakyRelu negativeSlope 1e39"] = (() => new LeakyRelu(1e39), "negativeSlope", "negativeSlope=1E+39"),
        ["MaxNorm maxValue 1e39"] = (() => new MaxNorm(1e39), "maxValue", "maxValue=1E+39"),
        ["MinMaxNorm maxValue 1e39"] = (() => new MinMaxNorm(0.0, 1e39), "maxValue", "maxValue=1E+39"),
        ["MinMaxNorm rate 1e39"] = (() => new MinMaxNorm(rate: 1e39), "rate", "rate=1E+39"),
        ["Constant value 1e39"] = (() => new Constant(1e39), "value", "value=1E+39"),
        ["Sgd learningRate 1e39"] = (() => new Sgd(1e39), "learningRate", "learningRate=1E+39"),
        ["Adam epsilon 1e39"] = (() => new Adam(epsilon: 1e39), "epsilon", "epsilon=1E+39"),
        ["Adam beta1 0.99999999999"] = (() => new Adam(beta1: 0.99999999999), "beta1", "beta1=0.99999999999 (1 as float32)"),
        ["AdamW weightDecay 1e39"] = (() => new AdamW(weightDecay: 1e39), "WeightDecay", "WeightDecay=1E+39"),
        ["Adagrad initialAccumulatorValue 1e39"] = (() => new Adagrad(initialAccumulatorValue: 1e39), "initialAccumulatorValue", "=1E+39"),
        ["Adafactor clipThreshold 1e-50"] = (() => new Adafactor(clipThreshold: 1e-50), "clipThreshold", "clipThreshold=1E-50 (0 as float32)"),
        ["Adafactor beta2Decay -1e39"] = (() => new Adafactor(beta2Decay: -1e39), "beta2Decay", "beta2Decay=-1E+39"),
        ["Ftrl learningRatePower -1e39"] = (() => new Ftrl(learningRatePower: -1e39), "learningRatePower", "learningRatePower=-1E+39"),
        ["Lion beta1 1e-50"] = (() => new Lion(beta1: 1e-50), "beta1", "beta1=1E-50 (0 as float32)"),
        ["ScheduleFreeAdamW beta1 1e-50"] = (() => new ScheduleFreeAdamW(beta1: 1e-50), "beta1", "beta1=1E-50 (0 as float32)"),
        ["Muon muonA 1e39"] = (() => new Muon(muonA: 1e39), "muonA", "muonA=1E+39"),
        ["Muon rmsRate 1e39"] = (() => new Muon(rmsRate: 1e39), "rmsRate", "rmsRate=1E+39"),
        ["RmsProp momentum 1e39"] = (() => new RmsProp(momentum: 1e39), "momentum", "momentum=1E+39"),
    };

    public static TheoryData<string> RefusedCases => [.. s_refused.Keys];

    [Theory]
    [MemberData(nameof(RefusedCases))]
    public void Constructor_ValueFloat32CannotHold_IsRefusedNamingParameterAndValue(string @case)
    {
        (Action create, string parameter, string shown) = s_refused[@case];
        var error = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(shown, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LearningRate_Beyond_Float32_IsRefusedAndTheRateStays()
    {
        var adam = new Adam(1e-3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => adam.LearningRate = 1e39);
        Assert.Equal("learningRate", error.ParamName);
        Assert.Equal(1e39, error.ActualValue);
        Assert.Contains("learningRate=1E+39 (beyond float32's range", error.Message, StringComparison.Ordinal);
        Assert.Equal((double)(float)1e-3, adam.LearningRate);
    }

    [Fact]
    public void EnableLora_AlphaBeyondFloat32_IsRefusedAndNothingIsAdded()
    {
        var dense = new Dense(3);
        dense.Build(new TensorShape(4));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => dense.EnableLora(2, 1e39));
        Assert.Equal("alpha", error.ParamName);
        Assert.Contains("1E+39", error.Message, StringComparison.Ordinal);
        Assert.False(dense.LoraEnabled);
        Assert.Equal(2, dense.Parameters.Count);
    }

    private static void AssertSameForward(Tensor x, Layer fromDouble, Layer fromFloat, bool training) =>
        Assert.Equal(fromFloat.Forward(x, training).ToArray(), fromDouble.Forward(x, training).ToArray());

    private static float[] Start() => [.. Enumerable.Range(0, 12).Select(i => ((i % 5) - 2) * 0.37f)];

    private static float[] ThreeSteps(Optimizer optimizer, out string config)
    {
        var p = new Parameter("kernel", new TensorShape(3, 4), true, null);
        Start().CopyTo(p.Value.AsSpan());
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < 12; i++)
            {
                p.Gradient.AsSpan()[i] = (((i * 7) % 11) - 5) * 0.11f * (step + 1);
            }

            optimizer.Step([p]);
        }

        config = optimizer.GetConfig().ToJson();
        return p.Value.ToArray();
    }

    // The same hyper-parameters as float arguments (what compiled before) and as Keras' double literals; none are defaults.
    private static Optimizer Optimizer(string name, bool fromDoubles) => (name, fromDoubles) switch
    {
        ("sgd", false) => new Sgd(0.05f, momentum: 0.9f, nesterov: true),
        ("sgd", true) => new Sgd(0.05, momentum: 0.9, nesterov: true),
        ("adam", false) => new Adam(1e-3f, beta1: 0.85f, beta2: 0.98f, epsilon: 1e-6f),
        ("adam", true) => new Adam(1e-3, beta1: 0.85, beta2: 0.98, epsilon: 1e-6),
        ("adamw", false) => new AdamW(3e-3f, weightDecay: 0.01f, beta2: 0.95f),
        ("adamw", true) => new AdamW(3e-3, weightDecay: 0.01, beta2: 0.95),
        ("adamax", false) => new Adamax(2e-3f, beta1: 0.8f, beta2: 0.99f),
        ("adamax", true) => new Adamax(2e-3, beta1: 0.8, beta2: 0.99),
        ("nadam", false) => new Nadam(2e-3f, beta1: 0.8f, beta2: 0.99f, epsilon: 1e-6f),
        ("nadam", true) => new Nadam(2e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-6),
        ("lamb", false) => new Lamb(1e-2f, beta1: 0.8f, beta2: 0.99f),
        ("lamb", true) => new Lamb(1e-2, beta1: 0.8, beta2: 0.99),
        ("adagrad", false) => new Adagrad(0.1f, initialAccumulatorValue: 0.2f, epsilon: 1e-6f),
        ("adagrad", true) => new Adagrad(0.1, initialAccumulatorValue: 0.2, epsilon: 1e-6),
        ("adadelta", false) => new Adadelta(1f, rho: 0.9f, epsilon: 1e-6f),
        ("adadelta", true) => new Adadelta(1.0, rho: 0.9, epsilon: 1e-6),
        ("adafactor", false) => new Adafactor(1e-2f, beta2Decay: -0.7f, epsilon2: 2e-3f, clipThreshold: 1.5f, relativeStep: false),
        ("adafactor", true) => new Adafactor(1e-2, beta2Decay: -0.7, epsilon2: 2e-3, clipThreshold: 1.5, relativeStep: false),
        ("ftrl", false) => new Ftrl(0.1f, learningRatePower: -0.6f, initialAccumulatorValue: 0.2f, l1RegularizationStrength: 0.01f, l2RegularizationStrength: 0.02f, l2ShrinkageRegularizationStrength: 0.03f, beta: 0.1f),
        ("ftrl", true) => new Ftrl(0.1, learningRatePower: -0.6, initialAccumulatorValue: 0.2, l1RegularizationStrength: 0.01, l2RegularizationStrength: 0.02, l2ShrinkageRegularizationStrength: 0.03, beta: 0.1),
        ("lion", false) => new Lion(1e-3f, beta1: 0.95f, beta2: 0.98f),
        ("lion", true) => new Lion(1e-3, beta1: 0.95, beta2: 0.98),
        ("muon", false) => new Muon(0.02f, adamBeta1: 0.8f, adamBeta2: 0.95f, adamWeightDecay: 0.1f, muonA: 3.4f, muonB: -4.7f, muonC: 2.1f, momentum: 0.9f, rmsRate: 0.3f),
        ("muon", true) => new Muon(0.02, adamBeta1: 0.8, adamBeta2: 0.95, adamWeightDecay: 0.1, muonA: 3.4, muonB: -4.7, muonC: 2.1, momentum: 0.9, rmsRate: 0.3),
        ("rmsprop", false) => new RmsProp(1e-2f, rho: 0.95f, momentum: 0.5f, epsilon: 1e-6f, centered: true),
        ("rmsprop", true) => new RmsProp(1e-2, rho: 0.95, momentum: 0.5, epsilon: 1e-6, centered: true),
        ("schedule_free_adamw", false) => new ScheduleFreeAdamW(0.01f, beta1: 0.95f, beta2: 0.99f, epsilon: 1e-6f, warmupSteps: 1),
        ("schedule_free_adamw", true) => new ScheduleFreeAdamW(0.01, beta1: 0.95, beta2: 0.99, epsilon: 1e-6, warmupSteps: 1),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown optimizer"),
    };
}

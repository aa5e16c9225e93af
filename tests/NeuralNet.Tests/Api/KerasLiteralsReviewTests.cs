using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Layers;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Tests.Api;

/// <summary>
/// The settable members a Keras user writes take Keras' double literals too (<c>ClipNorm = 1.0</c>,
/// <c>WeightDecay = 1e-4</c>); a β with more digits than float32 holds gives Keras' <c>1 − β</c>; a tiny negative
/// double is refused where a negative value is (not kept as −0); and the messages name the value that is wrong.
/// </summary>
public class KerasLiteralsReviewTests
{
    [Fact]
    public void OptimizerSettables_KerasLiterals_CompileAndKeepTheirFloat32Values()
    {
        var adam = new Adam(1e-3) { ClipNorm = 1.0, WeightDecay = 1e-4, UseEma = true, EmaMomentum = 0.999 };
        Assert.Equal(1.0, adam.ClipNorm);
        Assert.Equal(9.999999747378752E-05, adam.WeightDecay); // (float)1e-4, written out by hand
        Assert.Equal(0.9990000128746033, adam.EmaMomentum); // (float)0.999
        Assert.Equal(0.10000000149011612, new Sgd { ClipValue = 0.1 }.ClipValue);
        Assert.Equal(0.5, new Sgd { GlobalClipNorm = 0.5 }.GlobalClipNorm);

        // Written as the float32 values, as before: the same text as from float arguments.
        string config = adam.GetConfig().ToJson();
        Assert.Equal(new Adam(1e-3f) { ClipNorm = 1f, WeightDecay = 1e-4f, UseEma = true, EmaMomentum = 0.999f }.GetConfig().ToJson(), config);
        Assert.Contains("\"weight_decay\":0.0001", config, StringComparison.Ordinal);
        Assert.Contains("\"ema_momentum\":0.999", config, StringComparison.Ordinal);
    }

    [Fact]
    public void OptimizerSettables_ValuesFloat32CannotHold_AreRefusedNamingThem()
    {
        var clip = Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd { ClipNorm = 1e-50 });
        Assert.Equal("ClipNorm", clip.ParamName);
        Assert.Contains("ClipNorm=1E-50 (0 as float32)", clip.Message, StringComparison.Ordinal);
        Assert.Equal("ClipValue", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd { ClipValue = 1e39 }).ParamName);
        Assert.Equal("GlobalClipNorm", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd { GlobalClipNorm = 1e39 }).ParamName);
        var decay = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { WeightDecay = -1e-50 });
        Assert.Equal("WeightDecay", decay.ParamName);
        Assert.Contains("WeightDecay=-1E-50", decay.Message, StringComparison.Ordinal);
        Assert.Equal("EmaMomentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { EmaMomentum = -1e-50 }).ParamName);
        Assert.Equal("EmaMomentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam { EmaMomentum = 1.0000001 }).ParamName);
    }

    [Fact]
    public void FeatureSpaceFloatRescaled_KerasLiteral_IsRescalingWithTheFloat32Scale()
    {
        var rescaling = Assert.IsType<Rescaling>(FeatureSpace.FloatRescaled(1.0 / 255, -1.0).Preprocessor);
        Assert.Equal(0.003921568859368563f, rescaling.Scale); // (float)(1.0 / 255)
        Assert.Equal(-1f, rescaling.Offset);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => FeatureSpace.FloatRescaled(1e39)).ParamName);
    }

    [Fact]
    public void Adam_BetaWithMoreDigitsThanFloat32_UsesKerasOneMinusBetaInFloat64()
    {
        // Keras: m += (g − m)·(1 − beta_1), with 1 − 0.90223199 taken on the Python float (0.09776801000000002) and
        // cast to float32 (0.09776800870895386). The shortest decimal of (float)0.90223199, 0.902232, would give
        // 0.09776800125837326: a different float32.
        const double beta1 = 0.90223199, beta2 = 0.99912345678;
        float oneMinusB1 = 0.09776800870895386f, oneMinusB2 = (float)(1 - beta2);
        Assert.Equal((float)(1 - beta1), oneMinusB1);
        Assert.NotEqual((float)(1 - 0.902232), oneMinusB1);

        var p = new Parameter("kernel", new TensorShape(3), true, null);
        float[] w0 = [0.5f, -1.25f, 2f], g = [0.1f, -0.3f, 0.7f];
        w0.CopyTo(p.Value.AsSpan());
        g.CopyTo(p.Gradient.AsSpan());
        var adam = new Adam(1e-3, beta1, beta2);
        adam.Step([p]);

        // Keras' step 1 from zero slots, in float32: beta powers cast to float32, alpha = lr·sqrt(1 − b2^1) / (1 − b1^1).
        float lr = (float)1e-3, eps = (float)1e-7;
        float alpha = lr * MathF.Sqrt(1f - (float)beta2) / (1f - (float)beta1);
        Tensor[] slots = adam.GetOrCreateState(p);
        for (int i = 0; i < 3; i++)
        {
            float m = 0f + ((g[i] - 0f) * oneMinusB1), v = 0f + (((g[i] * g[i]) - 0f) * oneMinusB2);
            Assert.Equal(m, slots[0][i]);
            Assert.Equal(v, slots[1][i]);
            // alpha is taken in float64 here (the bias correction of MomentOptimizer), Keras' in float32: within float32's rounding.
            Assert.Equal(w0[i] - ((m * alpha) / (MathF.Sqrt(v) + eps)), p.Value[i], 6);
        }
    }

    [Fact]
    public void Adam_FloatBeta_IsBitIdenticalToBefore()
    {
        // A float argument is read as the shortest decimal that round-trips it, as before: 1 − 0.9 in float64.
        var p = new Parameter("kernel", new TensorShape(1), true, null);
        p.Gradient[0] = 0.25f;
        var adam = new Adam(1e-3f, beta1: 0.9f);
        adam.Step([p]);
        Assert.Equal(0.25f * (float)(1.0 - 0.9), adam.GetOrCreateState(p)[0][0]);
    }

    [Fact]
    public void TinyNegativeDoubles_AreRefusedWhereNegativeValuesAre()
    {
        // -1e-50 is −0 as float32: it passed ">= 0" and was kept (and written) as -0.
        var slope = Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyReLU(-1e-50));
        Assert.Equal("negativeSlope", slope.ParamName);
        Assert.Contains("negativeSlope=-1E-50", slope.Message, StringComparison.Ordinal);
        Assert.Equal("negativeSlope", Assert.Throws<ArgumentOutOfRangeException>(() => new LeakyRelu(-1e-50)).ParamName);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new ReLU(threshold: -1e-50)).ParamName);
        Assert.Equal("maxValue", Assert.Throws<ArgumentOutOfRangeException>(() => new MaxNorm(-1e-50)).ParamName);
        Assert.Equal("minValue", Assert.Throws<ArgumentOutOfRangeException>(() => new MinMaxNorm(-1e-50)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormalization(momentum: -1e-50)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(momentum: -1e-50)).ParamName);
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: -1e-50)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: -1e-50)).ParamName);

        var sgd = new Sgd(0.1);
        var rate = Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1e-50);
        Assert.Equal("learningRate", rate.ParamName);
        Assert.Equal(0.10000000149011612, sgd.LearningRate); // unchanged
    }

    [Fact]
    public void NegativeZero_IsKeptAsZero()
    {
        // Keras accepts 0; −0 is that 0, and is written "0", not "-0".
        Assert.False(float.IsNegative(new ReLU(negativeSlope: -0.0).NegativeSlope));
        Assert.False(float.IsNegative(new LeakyRelu(-0.0).NegativeSlope));
        Assert.Contains("\"negative_slope\":0", new LeakyReLU(-0.0).GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.DoesNotContain("-0", new LeakyReLU(-0.0).GetConfig().ToJson(), StringComparison.Ordinal);
        var sgd = new Sgd(0.1) { LearningRate = -0.0 };
        Assert.False(double.IsNegative(sgd.LearningRate));
        Assert.False(double.IsNegative(new Sgd { WeightDecay = -0.0 }.WeightDecay!.Value));
    }

    [Fact]
    public void ReLU_MaxValueBeyondFloat32_SaysFiniteNotNegative()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ReLU(maxValue: 1e39, name: "relu"));
        Assert.Equal("maxValue", error.ParamName);
        Assert.Contains("expects a finite max_value >= 0 (as float32). Received: maxValue=1E+39 (beyond float32's range", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("negative", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinMaxNorm_BadMaxValue_IsNamedAsMaxValue()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MinMaxNorm(0.0, 1e39));
        Assert.Equal("maxValue", error.ParamName);
        Assert.Equal("minValue", Assert.Throws<ArgumentOutOfRangeException>(() => new MinMaxNorm(2.0, 1.0)).ParamName);
    }
}

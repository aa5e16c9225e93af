using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Models;

// Keras' clone_model finds any class or function of the running program by its module, registered or not; Model.Clone
// shares the components a file could not name (unregistered functions, activations, initializers, regularizers) with the
// clone, while layers are always new objects.
public class CloneSharedComponentsTests
{
    [Fact]
    public void Clone_UnregisteredLambdaFunctionAndComponents_SharesThemAndPredictsTheSame()
    {
        static Tensor Embed(Tensor x) => x * 3f;
        var regularizer = new HalfSquares();
        var initializer = new Sevens();
        var model = new Sequential(
        [
            new InputLayer(4),
            new Lambda(Embed, (x, y, g) => g * 3f, name: "embed"),
            new Dense(3, ActivationFunction.Tanh, kernelInitializer: initializer, kernelRegularizer: regularizer, name: "dense"),
        ], seed: 3);

        Model clone = model.Clone();
        clone.SetWeights(model.GetWeights());

        Assert.NotSame(model.GetLayer("embed"), clone.GetLayer("embed"));
        Assert.Same(((Lambda)model.GetLayer("embed")).Function, ((Lambda)clone.GetLayer("embed")).Function);
        Assert.Same(((Lambda)model.GetLayer("embed")).Gradient, ((Lambda)clone.GetLayer("embed")).Gradient);
        var dense = (Dense)clone.GetLayer("dense");
        Assert.Same(regularizer, dense.KernelRegularizer);
        Assert.Same(initializer, dense.KernelInitializer);
        Assert.NotSame(((Dense)model.GetLayer("dense")).Kernel, dense.Kernel);
        Tensor x = TestData.Normal(5, 1f, 6, 4);
        Assert.Equal(model.Predict(x).ToArray(), clone.Predict(x).ToArray());

        // Only the clone may pass components by reference: saving still needs them registered, and the message names the
        // local function by its own name.
        var ex = Assert.Throws<NotSupportedException>(() => model.ToJson());
        Assert.Contains("RegisterFunction(\"MyApp>Embed\"", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("function function", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clone_UnregisteredLayerType_StillThrowsAndTheNextCloneIsUnaffected()
    {
        var custom = new Sequential([new InputLayer(3), new UnregisteredDouble(), new Lambda(x => x + 1f)], name: "custom");
        Assert.Throws<NotSupportedException>(() => custom.Clone());

        var plain = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        Model clone = plain.Clone();
        Assert.IsType<Sequential>(clone);
        Assert.Throws<NotSupportedException>(() => custom.ToJson());
    }

    [Fact]
    public void FromJson_ACloneReferenceItem_IsRefusedOutsideClone()
    {
        string json = new Sequential([new InputLayer(2), new Dense(1)], seed: 2).ToJson()
            .Replace("\"kernel_regularizer\":null", "\"kernel_regularizer\":{\"class_name\":\"__clone_reference__\",\"config\":0}", StringComparison.Ordinal);
        Assert.Contains("__clone_reference__", json, StringComparison.Ordinal);

        var ex = Assert.Throws<InvalidDataException>(() => Model.FromJson(json));
        Assert.Contains("__clone_reference__", ex.Message, StringComparison.Ordinal);
    }

    private sealed class HalfSquares : Regularizer
    {
        public override string Name => "half_squares";

        public override float Penalty(ReadOnlySpan<float> weights)
        {
            float sum = 0;
            foreach (float w in weights)
            {
                sum += 0.5f * w * w;
            }

            return sum;
        }

        public override void AddGradient(ReadOnlySpan<float> weights, Span<float> gradient)
        {
            for (int i = 0; i < weights.Length; i++)
            {
                gradient[i] += weights[i];
            }
        }
    }

    private sealed class Sevens : Initializer
    {
        public override string Name => "sevens";

        public override void Initialize(Span<float> values, TensorShape shape, long seed)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = 0.07f * ((i % 5) - 2);
            }
        }
    }
}

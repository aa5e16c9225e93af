using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Keras.Tests;

// A registered custom layer that owns sublayers (Keras' subclassing guide's MLPBlock): Keras' saving_lib files their
// weights under the sublayers' attribute paths, which NeuralNet.Keras does not map yet, so SaveModel refuses the model
// with the parameter's name rather than write an archive whose weights Keras could not place (Model.Save keeps them).
public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_CustomLayerWithSublayers_IsRefusedNamingTheParameter()
    {
        var model = new Sequential([new InputLayer(64), new KerasMlpBlock(name: "mlp_block")], seed: 3);
        model.Compile(new Adam(1e-2), new MeanSquaredError());
        string path = Path.Combine(_folder, "mlp_block.keras");

        var e = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.Contains("'dense/kernel'", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    private sealed class KerasMlpBlock : Layer
    {
        private Dense _dense1 = new(32, ActivationFunction.Relu);
        private Dense _dense2 = new(32, ActivationFunction.Relu);
        private Dense _dense3 = new(1);

        static KerasMlpBlock() => SerializationRegistry.Register("KerasTests>MlpBlock", c => new KerasMlpBlock(c.GetString("name")));

        public KerasMlpBlock(string? name = null)
            : base(name)
        {
        }

        public override string DefaultNamePrefix => "mlp_block";

        protected override TensorShape OnBuild(TensorShape inputShape)
        {
            _dense1 = BuildSublayer(_dense1, inputShape);
            _dense2 = BuildSublayer(_dense2, _dense1.OutputShape);
            _dense3 = BuildSublayer(_dense3, _dense2.OutputShape);
            return _dense3.OutputShape;
        }

        protected override Tensor OnForward(Tensor input, bool training) =>
            _dense3.Forward(_dense2.Forward(_dense1.Forward(input, training), training), training);

        protected override Tensor OnBackward(Tensor outputGradient) =>
            _dense1.Backward(_dense2.Backward(_dense3.Backward(outputGradient)));
    }
}

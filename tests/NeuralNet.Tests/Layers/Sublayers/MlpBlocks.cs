using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Tests.Layers.Sublayers;

/// <summary>
/// The subclassing guide's MLPBlock as a Keras user writes it: three layers created in the constructor (Keras' __init__),
/// built in OnBuild through BuildSublayer, chained in OnForward / OnBackward: Dense(32) -> relu -> Dense(32) -> relu -> Dense(1).
/// </summary>
public sealed class MlpBlock : Layer
{
    private Dense _dense1 = new(32, ActivationFunction.Relu);
    private Dense _dense2;
    private Dense _dense3 = new(1);

    static MlpBlock() => SerializationRegistry.Register("Tests>MlpBlock", c => new MlpBlock(c.GetDouble("l2", 0) is double l2 && l2 > 0 ? l2 : null, c.GetString("name")));

    public MlpBlock(double? l2 = null, string? name = null)
        : base(name)
    {
        L2Factor = l2;
        _dense2 = new Dense(32, ActivationFunction.Relu, kernelRegularizer: l2 is double f ? new L2(f) : null);
    }

    public double? L2Factor { get; }

    public IReadOnlyList<Dense> Sublayers => [_dense1, _dense2, _dense3];

    public override string DefaultNamePrefix => "mlp_block";

    public override Config GetConfig() => base.GetConfig().Set("l2", L2Factor ?? 0d);

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

/// <summary>The block with its sublayers created in OnBuild (rule 1 of "Writing your own layer"), with a Dropout among them.</summary>
public sealed class BuiltMlpBlock(string? name = null) : Layer(name)
{
    private Dense? _dense1;
    private Dropout? _dropout;
    private Dense? _dense2;

    public override string DefaultNamePrefix => "built_mlp_block";

    public Dropout Dropout => _dropout!;

    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _dense1 = BuildSublayer(new Dense(16, ActivationFunction.Tanh), inputShape);
        _dropout = BuildSublayer(new Dropout(0.5), _dense1.OutputShape);
        _dense2 = BuildSublayer(new Dense(2, name: "out"), _dropout.OutputShape);
        return _dense2.OutputShape;
    }

    protected override Tensor OnForward(Tensor input, bool training) =>
        _dense2!.Forward(_dropout!.Forward(_dense1!.Forward(input, training), training), training);

    protected override Tensor OnBackward(Tensor outputGradient) =>
        _dense1!.Backward(_dropout!.Backward(_dense2!.Backward(outputGradient)));
}

/// <summary>The trial's port: sublayers built with Build, so their weights are nobody's (the silent case, now refused).</summary>
public sealed class UnregisteredBlock(bool buildInOnBuild = true, string? name = null) : Layer(name)
{
    private Dense? _dense1;
    private Dense? _dense2;

    public override string DefaultNamePrefix => "unregistered_block";

    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        _dense1 = new Dense(8, ActivationFunction.Relu, name: "inner_dense");
        _dense2 = new Dense(1);
        if (buildInOnBuild)
        {
            _dense1.Build(inputShape);
            _dense2.Build(new TensorShape(8));
        }

        return new TensorShape(1);
    }

    protected override Tensor OnForward(Tensor input, bool training) => _dense2!.Forward(_dense1!.Forward(input, training), training);

    protected override Tensor OnBackward(Tensor outputGradient) => _dense1!.Backward(_dense2!.Backward(outputGradient));
}

/// <summary>A Keras-style block that drops BuildSublayer's result: its copies would run the first instance's sublayers.</summary>
public sealed class ForgetfulBlock(string? name = null) : Layer(name)
{
    private readonly Dense _dense = new(3);

    public override string DefaultNamePrefix => "forgetful_block";

    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        BuildSublayer(_dense, inputShape);
        return _dense.OutputShape;
    }

    protected override Tensor OnForward(Tensor input, bool training) => _dense.Forward(input, training);

    protected override Tensor OnBackward(Tensor outputGradient) => _dense.Backward(outputGradient);
}

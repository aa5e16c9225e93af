using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A placeholder for the tensors that will flow through a model (Keras' <c>KerasTensor</c>): it has a per-sample
/// shape and remembers the layer call that produces it. Start from an <see cref="Input"/>, call layers on it with
/// <see cref="Layer.Call(SymbolicTensor)"/>, and make a <see cref="Functional"/> model from the inputs and outputs.
/// </summary>
/// <example>
/// <code>
/// var x = new Input(new TensorShape(784), name: "pixels");
/// SymbolicTensor h = new Dense(64, ActivationFunction.Relu).Call(x);
/// SymbolicTensor y = new Dense(10, ActivationFunction.Softmax).Call(h);
/// var model = new Functional(x, y);
/// </code>
/// </example>
public class SymbolicTensor
{
    internal SymbolicTensor(TensorShape shape, Node node, int outputIndex = 0, TensorShape? probeShape = null)
    {
        Shape = shape;
        ProbeShape = probeShape ?? shape;
        Node = node;
        OutputIndex = outputIndex;
        if (node.Outputs.Length <= outputIndex)
        {
            SymbolicTensor[] outputs = node.Outputs;
            Array.Resize(ref outputs, outputIndex + 1);
            node.Outputs = outputs;
        }

        node.Outputs[outputIndex] = this;
    }

    /// <summary>
    /// The shape of one sample, without the batch axis. A variable axis (<see cref="VariableAxes"/>) holds the length the
    /// layers were built for, <see cref="InputLayer.NominalLength"/> at the input: a batch may have any length there.
    /// </summary>
    public TensorShape Shape { get; }

    /// <summary>
    /// The axes of <see cref="Shape"/> (0 is the first axis after the batch) whose length varies from batch to batch
    /// (Keras' <c>None</c>): those of an <see cref="Input"/> declared with null lengths, and every axis of a later tensor whose
    /// length follows them. Empty for a tensor of fixed shape.
    /// </summary>
    public IReadOnlyList<int> VariableAxes => VariableShapes.Axes(Shape, ProbeShape);

    // The shape the tensor has when every variable input axis is InputLayer.ProbeLength instead of NominalLength: the axes
    // where it differs from Shape are the ones that follow the inputs' lengths (VariableShapes).
    internal TensorShape ProbeShape { get; }

    internal bool IsVariable => ProbeShape != Shape;

    /// <summary>
    /// Which of its layer call's outputs this tensor is: 0 for the output (and for every single-output layer), 1 and on for
    /// the further outputs of a layer such as an LSTM with <c>returnState</c> (Keras' <c>tensor_index</c>).
    /// </summary>
    public int OutputIndex { get; }

    /// <summary>The layer whose call produces this tensor (an <see cref="InputLayer"/> for an <see cref="Input"/>).</summary>
    public Layer Layer => Node.Layer;

    /// <summary>
    /// The tensors the layer call that produces this tensor took, in call order (empty for an <see cref="Input"/>): Keras'
    /// inbound tensors. Walking them from a model's <see cref="Model.Outputs"/> visits its whole graph, as exporters do.
    /// </summary>
    public IReadOnlyList<SymbolicTensor> InboundTensors => Node.Inputs;

    /// <summary>
    /// The mode fixed for the layer call that produces this tensor (Keras' <c>training</c> argument of the call, see
    /// <see cref="Layer.Call(SymbolicTensor, bool)"/>), or null when the call runs in the model's mode, as it does unless
    /// given one. Exporters read it: a call fixed to training mode has no inference form.
    /// </summary>
    public bool? Training => Node.Training;

    /// <summary>The call that produces this tensor.</summary>
    internal Node Node { get; }

    /// <inheritdoc/>
    public override string ToString() => OutputIndex == 0
        ? $"SymbolicTensor {BatchString} from {Layer}"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SymbolicTensor {BatchString} from {Layer} (output {OutputIndex})");

    // Keras' form, (None, None, 16), with None for the batch and for every variable axis.
    internal string BatchString => VariableShapes.ToBatchString(Shape, ProbeShape);
}

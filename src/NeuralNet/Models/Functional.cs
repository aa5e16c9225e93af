using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A model defined by its inputs and outputs (Keras' functional API): any graph of layer calls, with several inputs,
/// several outputs, shared layers (one layer called on several tensors, its weights shared) and branches that merge
/// (<see cref="Add"/>, <see cref="Concatenate"/>, ...).
/// </summary>
/// <example>
/// <code>
/// var image = new Input(new TensorShape(28, 28, 1), name: "image");
/// SymbolicTensor x = new Conv2D(32, 3, padding: Padding.Same, activation: ActivationFunction.Relu).Call(image);
/// SymbolicTensor y = new Conv2D(32, 3, padding: Padding.Same).Call(x);
/// SymbolicTensor sum = new Add().Call(x, y);             // a residual connection
/// SymbolicTensor probabilities = new Dense(10, ActivationFunction.Softmax).Call(new Flatten().Call(sum));
/// var model = new Functional(image, probabilities, name: "residual");
/// </code>
/// </example>
/// <remarks>
/// <para>
/// An input may also be an inner tensor of another model's graph, as in Keras 3 (<c>Model(last_conv.output, model.output)</c>,
/// the head model of Grad-CAM): the new model gets a new <see cref="Input"/> of that tensor's shape in its place, named after
/// the tensor's layer with Keras' suffix (<c>last_convCLONE</c>), and calls the layers between it and the outputs again on
/// it, sharing them (and every weight) with the other model, which is left as it is. Its <see cref="Model.Outputs"/> are
/// the new calls' tensors.
/// </para>
/// <para>
/// The graph is everything between the inputs and the outputs; its layers are named when the model is created
/// (unnamed ones Keras-style, <c>dense</c>, <c>dense_1</c>, ...) and seeded from the model's seed unless an earlier
/// model seeded them. Creating the model checks the graph: every output must depend only on the given inputs, and every
/// input must reach an output.
/// </para>
/// </remarks>
public sealed class Functional : Model
{
    private readonly Graph _graph;

    /// <summary>Creates a model with one input and one output.</summary>
    /// <param name="input">The input, an <see cref="Input"/> or an inner tensor of another model (see remarks).</param>
    /// <param name="output">The output, computed from the input by layer calls.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="seed">The seed of the initialization and dropout of layers no model seeded before.</param>
    /// <exception cref="ArgumentException">The output does not depend only on the input, or two layers share a name.</exception>
    public Functional(SymbolicTensor input, SymbolicTensor output, string name = "functional", long seed = 0)
        : this([input], [output], name, seed)
    {
    }

    /// <summary>Creates a model with one input and several outputs (Keras' <c>Model(inputs=x, outputs=[a, b])</c>).</summary>
    /// <param name="input">The input, an <see cref="Input"/> or an inner tensor of another model (see remarks).</param>
    /// <param name="outputs">The outputs, in the order targets and losses are given.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="seed">The seed of the initialization and dropout of layers no model seeded before.</param>
    /// <exception cref="ArgumentException">As for <see cref="Functional(IReadOnlyList{SymbolicTensor}, IReadOnlyList{SymbolicTensor}, string, long)"/>.</exception>
    public Functional(SymbolicTensor input, IReadOnlyList<SymbolicTensor> outputs, string name = "functional", long seed = 0)
        : this([input], outputs, name, seed)
    {
    }

    /// <summary>Creates a model with several inputs and one output (Keras' <c>Model(inputs=[a, b], outputs=y)</c>).</summary>
    /// <param name="inputs">The inputs, each an <see cref="Input"/> or an inner tensor of another model (see remarks), in the order data is given.</param>
    /// <param name="output">The output, computed from the inputs by layer calls.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="seed">The seed of the initialization and dropout of layers no model seeded before.</param>
    /// <exception cref="ArgumentException">As for <see cref="Functional(IReadOnlyList{SymbolicTensor}, IReadOnlyList{SymbolicTensor}, string, long)"/>.</exception>
    public Functional(IReadOnlyList<SymbolicTensor> inputs, SymbolicTensor output, string name = "functional", long seed = 0)
        : this(inputs, [output], name, seed)
    {
    }

    /// <summary>Creates a model with several inputs and outputs.</summary>
    /// <param name="inputs">The inputs, each an <see cref="Input"/> or an inner tensor of another model (see remarks), in the order data is given.</param>
    /// <param name="outputs">The outputs, in the order targets and losses are given.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="seed">The seed of the initialization and dropout of layers no model seeded before.</param>
    /// <exception cref="ArgumentException">An input repeats, an output depends on a tensor that is not among the inputs, an
    /// input reaches no output, or two layers share a name. The message names them.</exception>
    public Functional(IReadOnlyList<SymbolicTensor> inputs, IReadOnlyList<SymbolicTensor> outputs, string name = "functional", long seed = 0)
        : base(name, seed)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (!InnerInputs.AnyInner(inputs))
        {
            _graph = new Graph(inputs, outputs, name);
            SetGraph(_graph, _graph.Layers);
            return;
        }

        InnerInputs clone = InnerInputs.Clone(inputs, outputs, name);
        try
        {
            _graph = new Graph(clone.Inputs, clone.Outputs, name);
            SetGraph(_graph, _graph.Layers);
        }
        catch
        {
            // Nothing changes when the model is not created: the layers forget the calls made for it.
            clone.Undo();
            throw;
        }
    }

    /// <summary>Every layer of the graph once, input layers included, in Keras' order (deepest first).</summary>
    public override IReadOnlyList<Layer> Layers => _graph.Layers;

    /// <summary>Loads a functional model saved by <see cref="Model.Save"/>; see <see cref="Model.Load(string)"/>.</summary>
    /// <param name="path">A file written by <c>Save</c>.</param>
    /// <returns>A new, built model (compiled if the saved one was).</returns>
    /// <exception cref="InvalidDataException">The file is damaged or hostile, or holds another kind of model.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static new Functional Load(string path) => Load<Functional>(Model.Load(path), path);

    /// <summary>Loads a functional model from a stream; see <see cref="Model.Load(Stream, string)"/>.</summary>
    /// <param name="stream">The stream, read from its position to its end.</param>
    /// <param name="source">A description used in error messages.</param>
    /// <returns>A new, built model.</returns>
    /// <exception cref="InvalidDataException">The file is damaged or hostile, or holds another kind of model.</exception>
    public static new Functional Load(Stream stream, string source = "stream") => Load<Functional>(Model.Load(stream, source), source);
}

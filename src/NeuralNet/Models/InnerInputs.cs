using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A functional model whose inputs are inner tensors of another graph (Keras 3's <c>Model(last_conv.output, model.output)</c>,
/// the head model of Grad-CAM): as Keras' <c>clone_graph_nodes</c> (keras/src/models/functional.py), every such tensor is
/// replaced by a new <see cref="Input"/> of its shape, and the layer calls between the inputs and the outputs are recorded
/// again on the new tensors (new nodes of the same layer objects, so the new model shares every layer and weight with the
/// graph it was cut from). The given tensors and the other model are left as they are.
/// </summary>
internal sealed class InnerInputs
{
    // The number of calls of every layer called again, to forget the new calls when the model is not created after all.
    private readonly List<(Layer Layer, int Count)> _callsBefore = [];

    private InnerInputs(SymbolicTensor[] inputs, SymbolicTensor[] outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The model's inputs: the given <see cref="Input"/>s, and a new one for each inner tensor.</summary>
    public SymbolicTensor[] Inputs { get; }

    /// <summary>The model's outputs, computed from <see cref="Inputs"/> by the new calls.</summary>
    public SymbolicTensor[] Outputs { get; }

    /// <summary>Whether some input is not an <see cref="Input"/> but the output of a layer call.</summary>
    public static bool AnyInner(IReadOnlyList<SymbolicTensor> inputs)
    {
        foreach (SymbolicTensor input in inputs)
        {
            if (input is not null && !input.Node.IsInput)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Replaces every inner tensor of <paramref name="inputs"/> by a new <see cref="Input"/> and calls the layers between
    /// the inputs and <paramref name="outputs"/> again on them. The new input is named after the tensor's layer with
    /// Keras' suffix, <c>last_convCLONE</c> (Keras names it after the tensor, <c>keras_tensor_7CLONE</c>; tensors have no
    /// names here).
    /// </summary>
    /// <exception cref="ArgumentException">A tensor is given twice as an input; the message names its layer.</exception>
    public static InnerInputs Clone(IReadOnlyList<SymbolicTensor> inputs, IReadOnlyList<SymbolicTensor> outputs, string modelName)
    {
        var replaced = new Dictionary<SymbolicTensor, SymbolicTensor>(ReferenceEqualityComparer.Instance);
        var newInputs = new SymbolicTensor[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            SymbolicTensor input = inputs[i];
            ArgumentNullException.ThrowIfNull(input, nameof(inputs));
            if (replaced.ContainsKey(input))
            {
                throw new ArgumentException($"Model '{modelName}': {input} is given twice as an input.", nameof(inputs));
            }

            newInputs[i] = input.Node.IsInput ? input : NewInput(input);
            replaced[input] = newInputs[i];
        }

        var nodes = NodesBetween(replaced, outputs);
        var clone = new InnerInputs(newInputs, new SymbolicTensor[outputs.Count]);
        try
        {
            foreach (Node node in nodes)
            {
                var arguments = new SymbolicTensor[node.Inputs.Length];
                for (int j = 0; j < arguments.Length; j++)
                {
                    arguments[j] = replaced.GetValueOrDefault(node.Inputs[j], node.Inputs[j]);
                }

                clone._callsBefore.Add((node.Layer, node.Layer.Nodes.Count));
                SymbolicTensor[] results = node.CallAgain(arguments);
                results[0].Node.CalledThrough = node.CalledThrough;
                results[0].Node.Training = node.Training;
                for (int k = 0; k < results.Length; k++)
                {
                    // An output that is itself one of the inputs stays the new Input.
                    replaced.TryAdd(node.Outputs[k], results[k]);
                }
            }
        }
        catch
        {
            clone.Undo();
            throw;
        }

        for (int k = 0; k < outputs.Count; k++)
        {
            clone.Outputs[k] = replaced.GetValueOrDefault(outputs[k], outputs[k]);
        }

        return clone;
    }

    /// <summary>Forgets the calls <see cref="Clone"/> recorded: the layers are as they were.</summary>
    public void Undo()
    {
        for (int i = _callsBefore.Count - 1; i >= 0; i--)
        {
            (Layer layer, int count) = _callsBefore[i];
            layer.Rollback(count, unbuild: false);
        }

        _callsBefore.Clear();
    }

    private static Input NewInput(SymbolicTensor tensor)
    {
        string layerName = tensor.Layer.Name;
        string? name = layerName.Length == 0 ? null
            : tensor.OutputIndex == 0 ? $"{layerName}CLONE"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{layerName}_{tensor.OutputIndex}CLONE");
        if (!tensor.IsVariable)
        {
            return new Input(tensor.Shape, name);
        }

        // A variable axis (Keras' None) stays variable.
        var shape = new int?[tensor.Shape.Rank];
        for (int a = 0; a < shape.Length; a++)
        {
            shape[a] = tensor.Shape[a];
        }

        foreach (int axis in tensor.VariableAxes)
        {
            shape[axis] = null;
        }

        return new Input(shape, name);
    }

    // The layer calls the outputs depend on, back to the given inputs (not past them), each after the calls it reads;
    // the original Inputs reached are left out (they stay the model's own).
    private static List<Node> NodesBetween(Dictionary<SymbolicTensor, SymbolicTensor> given, IReadOnlyList<SymbolicTensor> outputs)
    {
        var order = new List<Node>();
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node Node, int Next)>();
        foreach (SymbolicTensor output in outputs)
        {
            ArgumentNullException.ThrowIfNull(output, nameof(outputs));
            if (given.ContainsKey(output) || !visited.Add(output.Node))
            {
                continue;
            }

            stack.Push((output.Node, 0));
            while (stack.Count > 0)
            {
                (Node node, int next) = stack.Pop();
                if (next < node.Inputs.Length)
                {
                    stack.Push((node, next + 1));
                    SymbolicTensor input = node.Inputs[next];
                    if (!given.ContainsKey(input) && visited.Add(input.Node))
                    {
                        stack.Push((input.Node, 0));
                    }
                }
                else if (!node.IsInput)
                {
                    order.Add(node);
                }
            }
        }

        return order;
    }
}

using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Models;

// A model added to a Sequential as one step (Keras' `Sequential([base_model, Dense(10)])`): its layers join the chain,
// the same objects, so the two models share their weights.
public sealed partial class Sequential
{
    /// <summary>
    /// Appends the layers of <paramref name="model"/>, a chain of layers (a <see cref="Sequential"/>, or a
    /// <see cref="Functional"/> whose layers each take the previous one's output), as Keras' <c>Sequential([base, head])</c>
    /// nests a model: the same layer objects, so both models share their weights and <c>model.Trainable = false</c> freezes
    /// them in both.
    /// </summary>
    /// <param name="model">The model to nest; its <see cref="InputLayer"/>, if any, is not appended.</param>
    /// <exception cref="ArgumentException"><paramref name="model"/> is this model, is not a chain of single-tensor layers or
    /// fixes the mode of a call (call it on a symbolic tensor in a <see cref="Functional"/> model instead), has no layers, shares a layer with this model,
    /// or takes another shape than the last layer's output. The model and the layers are unchanged then.</exception>
    /// <exception cref="InvalidOperationException">Called from inside a prediction of this model.</exception>
    /// <remarks>
    /// This model lists the layers as its own (<see cref="Layers"/>, <see cref="Model.Summary"/>, saved files), where
    /// Keras lists the nested model as one layer. Added first to an empty model, a built <paramref name="model"/> gives it
    /// an <see cref="InputLayer"/> of its input shape, so this model is built at once. A layer whose name this model already
    /// has is renamed (its automatic name anew, <c>dense_2</c>; a name of its own with a suffix), which renames it in
    /// <paramref name="model"/> too.
    /// </remarks>
    public void Add(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (ReferenceEquals(model, this))
        {
            throw new ArgumentException($"Model '{Name}' cannot be added to itself.", nameof(model));
        }

        List<Layer> chain = ChainOf(model);
        using (EnterExclusive())
        {
            AddChainAlone(model, chain);
        }
    }

    /// <inheritdoc/>
    private protected override void BuildForCall(ReadOnlySpan<SymbolicTensor> inputs)
    {
        if (inputs.Length != 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' is a Sequential, which takes one input, but was called on {inputs.Length}."), nameof(inputs));
        }

        Build(inputs[0].Shape);
    }

    // The layers of a model that passes one tensor from layer to layer, in order, without its InputLayer.
    private static List<Layer> ChainOf(Model model)
    {
        if (model is Sequential sequential)
        {
            List<Layer> layers = [.. sequential.Layers.Where(l => l is not InputLayer)];
            return layers.Count > 0 ? layers
                : throw new ArgumentException($"Model '{model.Name}' has no layers to add.", nameof(model));
        }

        Graph graph = model.Graph;
        string advice = $"a Sequential passes one tensor from layer to layer; call model '{model.Name}' on a symbolic tensor in a Functional model instead (SymbolicTensor y = {model.Name}.Call(x)).";
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{model.Name}' has {graph.Inputs.Count} input(s) and {graph.Outputs.Count} output(s); {advice}"), nameof(model));
        }

        var chain = new List<Layer>();
        SymbolicTensor previous = graph.Inputs[0];
        foreach (Node node in graph.Nodes)
        {
            if (node.IsInput)
            {
                continue;
            }

            if (node.Inputs.Length != 1 || !ReferenceEquals(node.Inputs[0], previous) || node.Layer.HasSeveralOutputs || chain.Contains(node.Layer))
            {
                throw new ArgumentException($"Model '{model.Name}' is not a chain of layers ({node.Layer} does not just take the previous layer's output); {advice}", nameof(model));
            }

            if (node.Reverse)
            {
                throw new ArgumentException($"Model '{model.Name}' calls {node.Layer} in reverse, a call a Sequential cannot make; {advice}", nameof(model));
            }

            if (node.Training is bool training)
            {
                // A Sequential calls its layers in the model's mode; dropping the call's own mode would change what it computes.
                throw new ArgumentException($"Model '{model.Name}' calls {node.Layer} with training: {(training ? "true" : "false")}, a mode a Sequential cannot keep; {advice}", nameof(model));
            }

            chain.Add(node.Layer);
            previous = node.Output;
        }

        return chain;
    }

    private void AddChainAlone(Model model, List<Layer> chain)
    {
        foreach (Layer layer in chain)
        {
            if (_layers.Contains(layer))
            {
                throw new ArgumentException($"{layer} of model '{model.Name}' is already in model '{Name}'; a layer instance can appear only once.", nameof(model));
            }
        }

        if (IsBuilt && model.IsBuilt && (model.InputShape != _output!.Shape || model.Inputs[0].ProbeShape != _output.ProbeShape))
        {
            throw new ArgumentException($"Model '{model.Name}' expects input {model.Inputs[0].BatchString} but the last layer of model '{Name}' gives {_output.BatchString}.", nameof(model));
        }

        var before = chain.Select(l => (l.Name, l.Seed, l.IsSeeded, Nodes: l.Nodes.Count, l.IsBuilt)).ToArray();
        int count = _layers.Count;
        SymbolicTensor? output = _output;
        try
        {
            if (count == 0 && !IsBuilt && model.IsBuilt)
            {
                // Keras builds a Sequential whose first layer is a built model for that model's input.
                // With the model's variable axes, if it has any.
                Append(new InputLayer(model.Inputs[0].Shape, model.Inputs[0].ProbeShape, Graph.UniqueName("input_layer", n => chain.Any(l => l.Name == n))));
            }

            foreach (Layer layer in chain)
            {
                if (layer.Name.Length > 0 && (_layers.Any(l => l.Name == layer.Name) || (_input is not null && _input.Layer.Name == layer.Name)))
                {
                    layer.Name = Graph.UniqueName(Graph.HasAutomaticName(layer) ? layer.DefaultNamePrefix : layer.Name,
                        n => _layers.Any(l => l.Name == n) || chain.Any(l => l.Name == n) || (_input is not null && _input.Layer.Name == n));
                }

                NameAndSeed(layer);
                if (IsBuilt)
                {
                    output = layer.Call(output!);
                }

                _layers.Add(layer);
            }

            if (IsBuilt)
            {
                SetGraph(new Graph([_input!], [output!], Name), _layers);
                _output = output;
            }
            else if (_layers[0] is InputLayer input)
            {
                BuildAlone(input.Shape);
            }
        }
        catch
        {
            _layers.RemoveRange(count, _layers.Count - count);
            for (int i = 0; i < chain.Count; i++)
            {
                Layer layer = chain[i];
                layer.Rollback(before[i].Nodes, unbuild: !before[i].IsBuilt);
                (layer.Name, layer.Seed, layer.IsSeeded) = (before[i].Name, before[i].Seed, before[i].IsSeeded);
            }

            throw;
        }
    }
}

using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Models;

// A model used as a block of a larger one (Keras' nested models: `encoded = encoder(x)`). The call repeats the model's
// layer calls on the new tensors, as a shared layer is called again: the larger model runs the same layer objects, so the
// two models share every weight, and freezing one freezes it in both. The larger model lists those layers as its own.
public abstract partial class Model
{
    /// <summary>
    /// Calls the model on a symbolic tensor (Keras' <c>model(x)</c>), as a block of a larger model: its layers are called
    /// on <paramref name="input"/> in the model's order, sharing their weights with this model.
    /// </summary>
    /// <param name="input">The symbolic input, of the model's input shape.</param>
    /// <returns>The symbolic output, of the model's output shape.</returns>
    /// <exception cref="ArgumentException">The model takes several inputs, or the shape differs from its input's.</exception>
    /// <exception cref="InvalidOperationException">The model has several outputs (call <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>), or is not built
    /// (a <see cref="Sequential"/> without an <see cref="InputLayer"/> builds itself for the tensor's shape instead).</exception>
    /// <remarks>See <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</remarks>
    public SymbolicTensor Call(SymbolicTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Call([input]);
    }

    /// <summary>Calls a model that takes several inputs on symbolic tensors; see <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</summary>
    /// <param name="inputs">The symbolic inputs, in the order of <see cref="Inputs"/>.</param>
    /// <returns>The symbolic output.</returns>
    /// <exception cref="ArgumentException">The number of inputs or their shapes differ from the model's.</exception>
    /// <exception cref="InvalidOperationException">The model has several outputs (call <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>), or is not built.</exception>
    public SymbolicTensor Call(params ReadOnlySpan<SymbolicTensor> inputs)
    {
        ThrowIfSeveralOutputs();
        return CallOutputs(inputs)[0];
    }

    /// <summary>
    /// Calls the model on symbolic tensors as a block of a larger model (Keras' nested model) and returns its outputs,
    /// in the order of <see cref="Outputs"/>.
    /// </summary>
    /// <param name="inputs">The symbolic inputs, one per model input, each of that input's shape.</param>
    /// <returns>The symbolic outputs.</returns>
    /// <exception cref="ArgumentException">The number of inputs or their shapes differ from the model's.</exception>
    /// <exception cref="InvalidOperationException">The model is not built (a <see cref="Sequential"/> without an
    /// <see cref="InputLayer"/> builds itself for the tensor's shape instead), or this thread is inside one of its predictions.</exception>
    /// <remarks>
    /// <para>Every layer call of the model is made again on the new tensors, as a shared layer is called again: the larger
    /// model runs the same layer objects, so both models share their weights (training one trains the other), and
    /// <c>model.Trainable = false</c> freezes the layers in both (Keras' transfer learning: freeze a base model, train a new
    /// head on it). The larger model lists the layers as its own (<see cref="Layers"/>, <see cref="Summary"/>, saved files),
    /// where Keras lists the nested model as one layer; a model saved so loads as one graph.</para>
    /// <para>Layer names are unique within a model: a layer reached only through such a call whose name another layer of
    /// the larger model has (two models named their layers <c>dense</c>, <c>dense_1</c>, ...) is renamed when the larger
    /// model is created, which renames it in this model too (<c>dense_2</c>; a name of one's own, <c>encoder_out</c>, gets
    /// <c>encoder_out_1</c>). Called on its own <see cref="Inputs"/>, the model returns its <see cref="Outputs"/>.</para>
    /// </remarks>
    public SymbolicTensor[] CallOutputs(params ReadOnlySpan<SymbolicTensor> inputs) => CallInMode(inputs, training: null);

    private SymbolicTensor[] CallInMode(ReadOnlySpan<SymbolicTensor> inputs, bool? training)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
        }

        if (!IsBuilt)
        {
            BuildForCall(inputs);
        }

        using (EnterExclusive())
        {
            return Replay(inputs, training);
        }
    }

    /// <summary>
    /// Calls the model on a symbolic tensor in a fixed mode (Keras' <c>base_model(x, training=False)</c>): every layer call
    /// it repeats runs in that mode whatever the larger model runs in, unless the model's own call of the layer fixed a
    /// mode. With false, a base model's <see cref="BatchNormalization"/> layers keep their moving statistics while the
    /// larger model trains, even once they are unfrozen for fine-tuning (Keras' transfer-learning guide).
    /// </summary>
    /// <param name="input">The symbolic input, of the model's input shape.</param>
    /// <param name="training">The mode of the calls.</param>
    /// <returns>The symbolic output.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Call(SymbolicTensor)"/>.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="Call(SymbolicTensor)"/>.</exception>
    public SymbolicTensor Call(SymbolicTensor input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        ThrowIfSeveralOutputs();
        return CallOutputs([input], training)[0];
    }

    /// <summary>
    /// Calls the model on symbolic tensors in a fixed mode and returns all its outputs; see <see cref="Call(SymbolicTensor, bool)"/>
    /// and <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.
    /// </summary>
    /// <param name="inputs">The symbolic inputs, one per model input.</param>
    /// <param name="training">The mode of the calls.</param>
    /// <returns>The symbolic outputs.</returns>
    /// <exception cref="ArgumentException">As for <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</exception>
    public SymbolicTensor[] CallOutputs(ReadOnlySpan<SymbolicTensor> inputs, bool training) => CallInMode(inputs, training);

    // Before any call is recorded: a model not built yet is a Sequential, which has one output.
    private void ThrowIfSeveralOutputs()
    {
        if (IsBuilt && Outputs.Count != 1)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{Name}' has {Outputs.Count} outputs; call CallOutputs, which returns them all."));
        }
    }

    /// <summary>
    /// Builds a model that is not built yet for symbolic inputs it is called on; only a <see cref="Sequential"/> without an
    /// <see cref="InputLayer"/> can, so the default throws.
    /// </summary>
    private protected virtual void BuildForCall(ReadOnlySpan<SymbolicTensor> inputs) => throw NotBuilt();

    // Repeats every layer call of the graph, in order, on the tensors the given inputs stand for.
    private SymbolicTensor[] Replay(ReadOnlySpan<SymbolicTensor> inputs, bool? training)
    {
        Graph graph = Graph;
        CheckCallInputs(graph, inputs);
        bool own = true;
        for (int i = 0; i < inputs.Length; i++)
        {
            own &= ReferenceEquals(inputs[i], graph.Inputs[i]);
        }

        if (own && training is null)
        {
            return [.. graph.Outputs];
        }

        var replaced = new Dictionary<SymbolicTensor, SymbolicTensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Length; i++)
        {
            replaced[graph.Inputs[i]] = inputs[i];
        }

        var callsBefore = graph.Layers.Select(l => (Layer: l, Count: l.Nodes.Count)).ToArray();
        try
        {
            foreach (Node node in graph.Nodes)
            {
                if (node.IsInput)
                {
                    continue;
                }

                var arguments = new SymbolicTensor[node.Inputs.Length];
                for (int j = 0; j < arguments.Length; j++)
                {
                    arguments[j] = replaced[node.Inputs[j]];
                }

                SymbolicTensor[] outputs = node.CallAgain(arguments);
                outputs[0].Node.CalledThrough = this;
                outputs[0].Node.Training = node.Training ?? training;
                for (int k = 0; k < outputs.Length; k++)
                {
                    replaced[node.Outputs[k]] = outputs[k];
                }
            }
        }
        catch
        {
            // Shapes were checked, so this is a layer's own failure: forget the calls made, as a failed layer call does.
            foreach ((Layer layer, int count) in callsBefore)
            {
                layer.Rollback(count, unbuild: false);
            }

            throw;
        }

        return [.. graph.Outputs.Select(o => replaced[o])];
    }

    private void CheckCallInputs(Graph graph, ReadOnlySpan<SymbolicTensor> inputs)
    {
        if (inputs.Length != graph.Inputs.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{Name}' takes {graph.Inputs.Count} input(s) ({string.Join(", ", graph.Inputs.Select(DescribeInput))}) but was called on {inputs.Length}."), nameof(inputs));
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].Shape != graph.Inputs[i].Shape || inputs[i].ProbeShape != graph.Inputs[i].ProbeShape)
            {
                // The model's layers are called again on the tensors (inlined), so variable axes must meet variable axes.
                string variable = graph.Inputs[i].IsVariable || inputs[i].IsVariable ? " (variable axes, None, take tensors with variable axes in the same places)" : string.Empty;
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Model '{Name}' expects input {i} ({DescribeInput(graph.Inputs[i])}) but was called on {inputs[i].BatchString}{variable}."), nameof(inputs));
            }
        }
    }

    private static string DescribeInput(SymbolicTensor input) => $"'{input.Layer.Name}' {input.BatchString}";
}

using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A linear stack of layers trained end to end, as Keras' <c>Sequential</c>: add layers, <c>Compile</c>,
/// <c>Fit</c>, <c>Evaluate</c>, <c>Predict</c>. It is a <see cref="Model"/> whose graph is a chain.
/// </summary>
/// <example>
/// <code>
/// var model = new Sequential([
///     new InputLayer(784),
///     new Dense(512, ActivationFunction.Relu),
///     new Dense(10, ActivationFunction.Softmax),
/// ]);
/// model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
/// History history = model.Fit(xTrain, yTrain, epochs: 5, batchSize: 32, validationSplit: 0.25);
/// </code>
/// </example>
/// <remarks>
/// <para>Layers are named Keras-style when added (<c>dense</c>, <c>dense_1</c>, <c>dropout</c>, ...) and seeded from the
/// model's <see cref="Model.Seed"/> (layer <c>i</c> draws from <c>Derive(seed, i)</c>).</para>
/// <para>With an <see cref="InputLayer"/> first, the model is built as layers are added (so <see cref="Model.Summary"/> and
/// shape errors work before training); otherwise it is built by the first <c>Fit</c>, <c>Evaluate</c> or <c>Predict</c>.</para>
/// </remarks>
public sealed partial class Sequential : Model
{
    private readonly List<Layer> _layers = [];
    private SymbolicTensor? _input;
    private SymbolicTensor? _output;

    // The layers' calls and builds before the model built itself from its first data, while a call may still undo it.
    private (int Nodes, bool WasBuilt)[]? _beforeBuild;

    /// <summary>Creates a model, optionally with its layers.</summary>
    /// <param name="layers">The layers in order; an <see cref="InputLayer"/> first declares the input shape.</param>
    /// <param name="name">The model's name, shown by <see cref="Model.Summary"/>.</param>
    /// <param name="seed">The seed of every layer's initialization and dropout (and of shuffling when <c>Fit</c> gets none).</param>
    /// <exception cref="ArgumentException">A layer name repeats, a layer is added twice, or a layer does not fit the previous one's output.</exception>
    public Sequential(IEnumerable<Layer>? layers = null, string name = "sequential", long seed = 0)
        : base(name, seed)
    {
        if (layers is not null)
        {
            // All layers first, then one build: adding them one by one would rebuild the graph after each.
            foreach (Layer layer in layers)
            {
                Append(layer);
            }

            if (_layers.Count > 0 && _layers[0] is InputLayer input)
            {
                Build(input.Shape);
            }
        }
    }

    /// <summary>The layers, in order (including an initial <see cref="InputLayer"/>).</summary>
    public override IReadOnlyList<Layer> Layers => _layers;

    /// <inheritdoc/>
    public override IReadOnlyList<string> OutputNames => [OutputNameSource(0)];

    /// <inheritdoc/>
    private protected override string OutputNameSource(int k) => _layers.Count > 0 ? _layers[^1].Name : "output";

    /// <inheritdoc/>
    private protected override int OutputCountForCompile => 1;

    /// <summary>Appends a layer, names it if it has no name, seeds it and, when the model is built, builds it.</summary>
    /// <param name="layer">The layer; not already in this model.</param>
    /// <exception cref="ArgumentException">The name is taken, the layer is already in the model, an <see cref="InputLayer"/> is not first,
    /// the layer has several outputs (a recurrent layer with <c>returnState</c>), or the layer does not accept the previous output shape. The model and the layer are unchanged then.</exception>
    /// <exception cref="InvalidOperationException">Called from inside a prediction of this model (a layer calling back into it).</exception>
    /// <remarks>Waits for running predictions (and a running <c>Fit</c>) to finish, and holds new ones back until the layer is added.</remarks>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.HasSeveralOutputs)
        {
            // Keras' Sequential refuses such layers too: the next layer could only take one of the outputs.
            throw new ArgumentException($"Model '{Name}' is a Sequential, which passes one tensor from layer to layer, but {layer} has several outputs (returnState, returnAttentionScores or mergeMode None); build the model with the functional API and call the layer with CallOutputs.", nameof(layer));
        }

        // Alone: a new graph replaces the executor whose layers running predictions use (the new one would run on the
        // same layers, so two predictions would share their buffers), and a first prediction may be building the model.
        using (EnterExclusive())
        {
            AddAlone(layer);
        }
    }

    /// <summary>Removes the last layer and returns it (Keras' <c>model.pop()</c>); the model is rebuilt without it.</summary>
    /// <returns>The removed layer, built, with its weights and its calls (a model made from this model's old outputs keeps working).</returns>
    /// <exception cref="InvalidOperationException">The model has no layer to remove (none, or only its <see cref="InputLayer"/>), or
    /// this is called from inside one of its predictions.</exception>
    /// <remarks>
    /// Waits for running predictions and holds new ones back, as <see cref="Add(Layer)"/> does. The compile settings stay;
    /// compile again if losses or metrics were given by output name, since the output is now another layer's. Removing the
    /// only layer of a model without an <see cref="InputLayer"/> leaves it unbuilt; removing the last layer after an
    /// <see cref="InputLayer"/> leaves a built model that returns its input (Keras leaves it unbuilt).
    /// </remarks>
    public Layer Pop()
    {
        using (EnterExclusive())
        {
            return PopAlone();
        }
    }

    private Layer PopAlone()
    {
        if (_layers.Count == 0 || _layers[^1] is InputLayer)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layer to remove.");
        }

        Layer last = _layers[^1];
        if (!IsBuilt)
        {
            _layers.RemoveAt(_layers.Count - 1);
            return last;
        }

        Node call = Graph.NodesOf(last).Single();
        SymbolicTensor previous = call.Inputs[0];
        _layers.RemoveAt(_layers.Count - 1);
        if (_layers.Count == 0)
        {
            _input = null;
            _output = null;
            _beforeBuild = null;
            ForgetGraph();
        }
        else
        {
            SetGraph(new Graph([_input!], [previous], Name), _layers);
            _output = previous;
            if (_beforeBuild is { } before)
            {
                _beforeBuild = before[..^1];
            }
        }

        // The layer keeps its call, as Keras keeps it: a model made from this one's outputs (or from Layer.Output) uses it.
        return last;
    }

    private void AddAlone(Layer layer)
    {
        if (!IsBuilt)
        {
            (string name0, long seed0, bool seeded0) = (layer.Name, layer.Seed, layer.IsSeeded);
            Append(layer);
            if (_layers[0] is InputLayer input)
            {
                try
                {
                    Build(input.Shape);
                }
                catch
                {
                    _layers.RemoveAt(_layers.Count - 1);
                    (layer.Name, layer.Seed, layer.IsSeeded) = (name0, seed0, seeded0);
                    throw;
                }
            }

            return;
        }

        CheckCanAppend(layer);
        string name = layer.Name;
        (long seed, bool seeded) = (layer.Seed, layer.IsSeeded);
        int nodes = layer.Nodes.Count;
        bool wasBuilt = layer.IsBuilt;
        NameAndSeed(layer);
        try
        {
            SymbolicTensor output = layer.Call(_output!);
            SetGraph(new Graph([_input!], [output], Name), [.. _layers, layer]);
            _layers.Add(layer);
            _output = output;
        }
        catch
        {
            layer.Rollback(nodes, unbuild: !wasBuilt);
            layer.Name = name;
            (layer.Seed, layer.IsSeeded) = (seed, seeded);
            throw;
        }
    }

    /// <summary>Builds every layer for inputs of per-sample shape <paramref name="inputShape"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no layers, or was built for another shape.</exception>
    /// <exception cref="ArgumentException">A layer does not accept the shape it receives; the layers are left as they were.</exception>
    /// <remarks>Building runs alone, as <see cref="Add(Layer)"/> does; a model already built for <paramref name="inputShape"/> returns at once.</remarks>
    public void Build(TensorShape inputShape)
    {
        if (_input is { } built && IsBuilt && inputShape == built.Shape)
        {
            return;
        }

        using (EnterExclusive())
        {
            BuildAlone(inputShape);
        }
    }

    private void BuildAlone(TensorShape inputShape)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers; add layers before building or training it.");
        }

        if (IsBuilt)
        {
            if (inputShape != _input!.Shape)
            {
                throw new InvalidOperationException($"Model '{Name}' was built for input {_input.Shape.ToBatchString()} and cannot take {inputShape.ToBatchString()}.");
            }

            return;
        }

        var before = _layers.Select(l => (Nodes: l.Nodes.Count, WasBuilt: l.IsBuilt)).ToArray();
        try
        {
            SymbolicTensor input;
            int first;
            if (_layers[0] is InputLayer inputLayer)
            {
                if (inputShape != inputLayer.Shape)
                {
                    throw new ArgumentException($"{inputLayer} declares input {VariableShapes.ToBatchString(inputLayer.Shape, inputLayer.ProbeShape)} but the model was asked to build for {inputShape.ToBatchString()}.", nameof(inputShape));
                }

                input = inputLayer.Nodes.Count > 0 ? inputLayer.Nodes[0].Output : new Input(inputLayer);
                first = 1;
            }
            else
            {
                // Keras gives a Sequential without an InputLayer a hidden one; it is not among the model's layers.
                input = new Input(inputShape, Graph.UniqueName("input_layer", n => _layers.Any(l => l.Name == n)));
                first = 0;
            }

            SymbolicTensor output = input;
            for (int i = first; i < _layers.Count; i++)
            {
                output = _layers[i].Call(output);
            }

            SetGraph(new Graph([input], [output], Name), _layers);
            _input = input;
            _output = output;
            _beforeBuild = before;
        }
        catch
        {
            // Nothing half-built: a later Build with the right shape must find the layers as they were.
            for (int i = 0; i < _layers.Count; i++)
            {
                _layers[i].Rollback(before[i].Nodes, unbuild: !before[i].WasBuilt);
            }

            throw;
        }
    }

    /// <inheritdoc/>
    private protected override void UndoBuild()
    {
        if (_beforeBuild is not { } before || before.Length != _layers.Count)
        {
            return;
        }

        for (int i = 0; i < _layers.Count; i++)
        {
            _layers[i].Rollback(before[i].Nodes, unbuild: !before[i].WasBuilt);
        }

        _input = null;
        _output = null;
        _beforeBuild = null;
        ForgetGraph();
    }

    /// <inheritdoc/>
    private protected override void EnsureBuilt(Tensor[] inputs, string parameterName)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers; add layers before training or predicting.");
        }

        if (!IsBuilt)
        {
            Build(inputs[0].Shape.DropFirst());
        }
    }

    /// <inheritdoc/>
    private protected override string DescribeInputMismatch(int index, string expected, TensorShape actual)
    {
        Layer first = _layers.FirstOrDefault(l => l is not InputLayer) ?? _layers[0];
        return $"{first} expects input {expected} but got {actual.ToBatchString()}.";
    }

    /// <inheritdoc/>
    private protected override InvalidOperationException NotBuilt() =>
        new($"Model '{Name}' is not built yet: start it with an InputLayer, or call Fit, Predict or Build.");

    // Adds a layer to the list, unbuilt, after the checks Add makes.
    private void Append(Layer layer)
    {
        CheckCanAppend(layer);
        NameAndSeed(layer);
        _layers.Add(layer);
    }

    private void CheckCanAppend(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_layers.Contains(layer))
        {
            throw new ArgumentException($"{layer} is already in model '{Name}'; a layer instance can appear only once.", nameof(layer));
        }

        if (layer is InputLayer && _layers.Count > 0)
        {
            throw new ArgumentException($"An InputLayer can only be the first layer of model '{Name}', which already has {_layers.Count} layer(s).", nameof(layer));
        }

        if (layer.Name.Length > 0 && (_layers.Any(l => l.Name == layer.Name) || (_input is not null && _input.Layer.Name == layer.Name)))
        {
            throw new ArgumentException($"Model '{Name}' already has a layer named '{layer.Name}'; layer names must be unique.", nameof(layer));
        }
    }

    // Keras-style automatic names, unique within the model (its hidden input included): dense, dense_1, ...
    private void NameAndSeed(Layer layer)
    {
        if (layer.Name.Length == 0)
        {
            layer.Name = Graph.UniqueName(layer.DefaultNamePrefix, n => _layers.Any(l => l.Name == n) || (_input is not null && _input.Layer.Name == n));
        }

        if (!layer.IsBuilt && !layer.IsSeeded)
        {
            layer.Seed = SeededRandom.Derive(Seed, _layers.Count);
            layer.IsSeeded = true;
        }
    }

    /// <summary>Loads a Sequential model saved by <see cref="Model.Save"/> (or by NeuralNet 0.1.0); see <see cref="Model.Load(string)"/>.</summary>
    /// <param name="path">A file written by <c>Save</c>.</param>
    /// <returns>A new, built model (compiled if the saved one was).</returns>
    /// <exception cref="InvalidDataException">The file is damaged or hostile, or holds another kind of model.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static new Sequential Load(string path) => Load<Sequential>(Model.Load(path), path);

    /// <summary>Loads a Sequential model from a stream; see <see cref="Model.Load(Stream, string)"/>.</summary>
    /// <param name="stream">The stream, read from its position to its end.</param>
    /// <param name="source">A description used in error messages.</param>
    /// <returns>A new, built model.</returns>
    /// <exception cref="InvalidDataException">The file is damaged or hostile, or holds another kind of model.</exception>
    public static new Sequential Load(Stream stream, string source = "stream") => Load<Sequential>(Model.Load(stream, source), source);
}

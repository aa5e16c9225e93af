using System.Globalization;
using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// The layer calls between a model's inputs and outputs: every node reachable backwards from the outputs, checked to
/// start at the given inputs, ordered as Keras orders them (by decreasing depth, so every node comes after the nodes
/// it reads), with every layer named uniquely.
/// </summary>
internal sealed class Graph
{
    private readonly Dictionary<Node, int> _localIndex = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Layer, string> _names;

    /// <summary>Collects and checks the graph from <paramref name="inputs"/> to <paramref name="outputs"/>.</summary>
    /// <exception cref="ArgumentException">An input is not an <see cref="Input"/> or repeats, the same tensor is given twice as an output, an output does not depend only
    /// on the inputs, an input reaches no output, or two layers share a name.</exception>
    public Graph(IReadOnlyList<SymbolicTensor> inputs, IReadOnlyList<SymbolicTensor> outputs, string modelName)
    {
        if (inputs.Count == 0)
        {
            throw new ArgumentException($"Model '{modelName}' needs at least one input.", nameof(inputs));
        }

        if (outputs.Count == 0)
        {
            throw new ArgumentException($"Model '{modelName}' needs at least one output.", nameof(outputs));
        }

        var inputNodes = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        foreach (SymbolicTensor input in inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(inputs));
            if (!input.Node.IsInput)
            {
                throw new ArgumentException($"Model '{modelName}': every input must be an Input, but one is the output of {input.Layer}.", nameof(inputs));
            }

            if (!inputNodes.Add(input.Node))
            {
                throw new ArgumentException($"Model '{modelName}': {input.Layer} is given twice as an input.", nameof(inputs));
            }
        }

        foreach (SymbolicTensor output in outputs)
        {
            ArgumentNullException.ThrowIfNull(output, nameof(outputs));
        }

        for (int k = 1; k < outputs.Count; k++)
        {
            for (int j = 0; j < k; j++)
            {
                // Several outputs of one layer (an attention layer's output and scores) are distinct tensors and get
                // distinct names (Model.OutputNames); the same tensor twice would be one output under two names.
                if (ReferenceEquals(outputs[j], outputs[k]))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Model '{modelName}': outputs {j} and {k} are the same tensor of {outputs[k].Layer}; give it once, or pass the second through an Identity layer of its own."), nameof(outputs));
                }
            }
        }

        List<Node> postOrder = PostOrder(outputs);

        // Names are chosen first, for the messages, and given to the layers only once every check has passed.
        var direct = new HashSet<Layer>(postOrder.Where(n => n.CalledThrough is null).Select(n => n.Layer), ReferenceEqualityComparer.Instance);
        Dictionary<Layer, string> names = ChooseNames([.. DistinctLayers(postOrder), .. inputs.Select(i => i.Layer)], direct, modelName);
        foreach (Node node in postOrder)
        {
            if (node.IsInput && !inputNodes.Contains(node))
            {
                SymbolicTensor output = outputs.First(o => DependsOn(o.Node, node));
                throw new ArgumentException(
                    $"Model '{modelName}' is disconnected: output '{names[output.Layer]}' depends on input '{names[node.Layer]}', which is not among the model's inputs ({string.Join(", ", inputs.Select(i => $"'{names[i.Layer]}'"))}).",
                    nameof(inputs));
            }
        }

        // A wrapper's inner layer holds the wrapper's parameters: called beside it, every weight would be listed, updated,
        // penalised and saved twice (Keras removes repeats by identity; here the graph is refused instead).
        var called = new HashSet<Layer>(DistinctLayers(postOrder), ReferenceEqualityComparer.Instance);
        foreach (Layer layer in called)
        {
            foreach (Layer inner in layer.InnerLayers)
            {
                if (called.Contains(inner))
                {
                    throw new ArgumentException(
                        $"Model '{modelName}': layer '{names[inner]}' is the inner layer of '{names[layer]}' and is also called on its own; a layer can be in a model once, directly or inside a wrapper. Give the direct call a layer of its own.",
                        nameof(outputs));
                }
            }
        }

        var reached = new HashSet<Node>(postOrder, ReferenceEqualityComparer.Instance);
        foreach (SymbolicTensor input in inputs)
        {
            if (!reached.Contains(input.Node))
            {
                throw new ArgumentException($"Input '{names[input.Layer]}' is not connected to any output of model '{modelName}'.", nameof(inputs));
            }
        }

        _names = names;
        Nodes = OrderByDepth(postOrder, outputs);
        Layers = DistinctLayers(Nodes);
        foreach (Layer layer in Layers)
        {
            int local = 0;
            foreach (Node node in layer.Nodes)
            {
                if (reached.Contains(node))
                {
                    _localIndex[node] = local++;
                }
            }
        }

        Inputs = [.. inputs];
        Outputs = [.. outputs];
    }

    /// <summary>The model's inputs, in order.</summary>
    public IReadOnlyList<SymbolicTensor> Inputs { get; }

    /// <summary>The model's outputs, in order.</summary>
    public IReadOnlyList<SymbolicTensor> Outputs { get; }

    /// <summary>Every node, input nodes included, each after the nodes it reads.</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>The distinct layers, in the order of their first node (Keras' <c>model.layers</c>).</summary>
    public IReadOnlyList<Layer> Layers { get; private set; }

    /// <summary>The warnings about this graph (<see cref="Model.Warnings"/>), shared by every executor that runs it.</summary>
    public ModelWarningLog Warnings { get; } = new();

    /// <summary>Gives every layer the name chosen for it (unnamed layers get theirs here, once the model is sure to be created).</summary>
    public void AssignNames()
    {
        foreach ((Layer layer, string name) in _names)
        {
            layer.Name = name;
        }
    }

    /// <summary>The position of <paramref name="node"/> among its layer's calls that belong to this graph (Keras renumbers them so).</summary>
    public int LocalIndex(Node node) => _localIndex[node];

    /// <summary>Whether <paramref name="layer"/> is called more than once in this graph (a shared layer).</summary>
    public bool IsShared(Layer layer) => layer.Nodes.Count(_localIndex.ContainsKey) > 1;

    /// <summary>The nodes of <paramref name="layer"/> in this graph, in call order.</summary>
    public IEnumerable<Node> NodesOf(Layer layer) => layer.Nodes.Where(_localIndex.ContainsKey);

    // Depth-first from the outputs: every node after the nodes it reads, each once.
    private static List<Node> PostOrder(IReadOnlyList<SymbolicTensor> outputs)
    {
        var order = new List<Node>();
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node Node, int Next)>();
        foreach (SymbolicTensor output in outputs)
        {
            if (!visited.Add(output.Node))
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
                    Node producer = node.Inputs[next].Node;
                    if (visited.Add(producer))
                    {
                        stack.Push((producer, 0));
                    }
                }
                else
                {
                    order.Add(node);
                }
            }
        }

        return order;
    }

    // Keras' order: depth 0 for the output nodes, a node one deeper than the deepest node that reads it; deepest first,
    // ties in depth-first order.
    private static List<Node> OrderByDepth(List<Node> postOrder, IReadOnlyList<SymbolicTensor> outputs)
    {
        var depth = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        foreach (SymbolicTensor output in outputs)
        {
            depth[output.Node] = 0;
        }

        for (int i = postOrder.Count - 1; i >= 0; i--)
        {
            Node node = postOrder[i];
            int d = depth.GetValueOrDefault(node);
            foreach (SymbolicTensor input in node.Inputs)
            {
                if (depth.GetValueOrDefault(input.Node, -1) < d + 1)
                {
                    depth[input.Node] = d + 1;
                }
            }
        }

        var position = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < postOrder.Count; i++)
        {
            position[postOrder[i]] = i;
        }

        return [.. postOrder.OrderByDescending(n => depth[n]).ThenBy(n => position[n])];
    }

    private static List<Layer> DistinctLayers(IEnumerable<Node> nodes)
    {
        var seen = new HashSet<Layer>(ReferenceEqualityComparer.Instance);
        return [.. nodes.Select(n => n.Layer).Where(seen.Add)];
    }

    // Unnamed layers get Keras-style names unique within the model (dense, dense_1, ...); given names of layers called
    // directly must not repeat. A layer called only inside a nested model's call keeps its name unless a layer listed
    // before it has it: Keras scopes names by nested model, here the layer is renamed (its automatic name anew, a name of
    // its own with a suffix).
    private static Dictionary<Layer, string> ChooseNames(List<Layer> layers, HashSet<Layer> direct, string modelName)
    {
        var taken = new Dictionary<string, Layer>(StringComparer.Ordinal);
        var names = new Dictionary<Layer, string>(ReferenceEqualityComparer.Instance);
        foreach (Layer layer in layers.Where(l => l.Name.Length > 0 && direct.Contains(l)))
        {
            if (taken.TryGetValue(layer.Name, out Layer? other) && !ReferenceEquals(other, layer))
            {
                throw new ArgumentException($"Model '{modelName}' has two different layers named '{layer.Name}' ({other.TypeName} and {layer.TypeName}); layer names must be unique within a model.", "outputs");
            }

            taken[layer.Name] = layer;
            names[layer] = layer.Name;
        }

        foreach (Layer layer in layers.Where(l => l.Name.Length > 0 && !names.ContainsKey(l)))
        {
            string name = !taken.ContainsKey(layer.Name) ? layer.Name
                : UniqueName(HasAutomaticName(layer) ? layer.DefaultNamePrefix : layer.Name, taken.ContainsKey);
            taken[name] = layer;
            names[layer] = name;
        }

        foreach (Layer layer in layers.Where(l => l.Name.Length == 0 && !names.ContainsKey(l)))
        {
            string name = UniqueName(layer.DefaultNamePrefix, taken.ContainsKey);
            taken[name] = layer;
            names[layer] = name;
        }

        return names;
    }

    /// <summary>Whether the layer's name is one a model gives automatically: its prefix, or the prefix, '_' and a number.</summary>
    internal static bool HasAutomaticName(Layer layer)
    {
        string prefix = layer.DefaultNamePrefix;
        string name = layer.Name;
        return name == prefix
            || (name.Length > prefix.Length + 1 && name.StartsWith(prefix, StringComparison.Ordinal) && name[prefix.Length] == '_'
                && name.AsSpan(prefix.Length + 1).IndexOfAnyExceptInRange('0', '9') < 0);
    }

    /// <summary>The first of <c>prefix</c>, <c>prefix_1</c>, <c>prefix_2</c>, ... that is not taken.</summary>
    internal static string UniqueName(string prefix, Func<string, bool> isTaken)
    {
        for (int i = 0; ; i++)
        {
            string candidate = i == 0 ? prefix : string.Create(CultureInfo.InvariantCulture, $"{prefix}_{i}");
            if (!isTaken(candidate))
            {
                return candidate;
            }
        }
    }

    private static bool DependsOn(Node node, Node target)
    {
        var stack = new Stack<Node>([node]);
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        while (stack.Count > 0)
        {
            Node n = stack.Pop();
            if (ReferenceEquals(n, target))
            {
                return true;
            }

            foreach (SymbolicTensor input in n.Inputs)
            {
                if (seen.Add(input.Node))
                {
                    stack.Push(input.Node);
                }
            }
        }

        return false;
    }
}

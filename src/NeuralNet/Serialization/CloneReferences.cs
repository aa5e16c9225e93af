using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;

namespace NeuralNet.Serialization;

/// <summary>
/// Components that <see cref="Models.Model.Clone"/> passes from the model to its clone by reference: a custom activation,
/// initializer, regularizer or constraint that is not registered, and a Lambda's or TextVectorization's unregistered
/// function. A file could not name them, but a clone made in the same process can share them, as Keras'
/// <c>clone_model</c> finds any Python class or function again by its module. Layers are never shared: the clone's layers
/// are new objects with new weights, so an unregistered layer type still has to be registered.
/// </summary>
internal sealed class CloneReferences
{
    /// <summary>The class name of a reference item, <c>{"class_name": "__clone_reference__", "config": index}</c>; no file has it.</summary>
    internal const string ClassName = "__clone_reference__";

    // One clone at a time per thread: Clone writes the architecture and reads it back on the calling thread, and the scope
    // ends with the call, so nothing outlives it or reaches another thread's serialization.
    [ThreadStatic]
    private static CloneReferences? t_current;

    private readonly List<object> _components = [];

    /// <summary>The references of the clone running on this thread, or null outside <see cref="Run"/>.</summary>
    internal static CloneReferences? Current => t_current;

    /// <summary>Runs <paramref name="clone"/> with a new set of references, restored to the previous one afterwards.</summary>
    internal static T Run<T>(Func<T> clone)
    {
        CloneReferences? previous = t_current;
        t_current = new CloneReferences();
        try
        {
            return clone();
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>Whether <paramref name="component"/> may pass by reference: anything but a layer.</summary>
    internal static bool CanShare(object component) => t_current is not null && component is not Layer;

    /// <summary>The item that stands for <paramref name="component"/> until the clone reads it back.</summary>
    internal static JsonObject Add(object component)
    {
        CloneReferences references = t_current ?? throw new InvalidOperationException("A clone reference was written outside Model.Clone.");
        references._components.Add(component);
        return new JsonObject { ["class_name"] = ClassName, ["config"] = references._components.Count - 1 };
    }

    /// <summary>The component a reference item stands for, or null when <paramref name="node"/> is not one (or no clone runs).</summary>
    internal static object? Find(JsonNode? node)
    {
        if (t_current is not CloneReferences references || node is not JsonObject item
            || item["class_name"] is not JsonValue className || className.GetValueKind() != JsonValueKind.String
            || className.GetValue<string>() != ClassName || item["config"] is not JsonValue index
            || index.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        int k = index.GetValue<int>();
        return k >= 0 && k < references._components.Count ? references._components[k] : null;
    }
}

namespace NeuralNet.Models;

/// <summary>
/// Something about a model that is allowed but probably not what was meant, found when its graph is built or when a
/// forward pass reveals it (<see cref="Model.Warnings"/>): Keras' <c>UserWarning</c>s about a model, as data rather than
/// log lines, so that a program can read, test or ignore them.
/// </summary>
public sealed class ModelWarning
{
    internal ModelWarning(ModelWarningKind kind, string layerName, string layerType, string message)
    {
        Kind = kind;
        LayerName = layerName;
        LayerType = layerType;
        Message = message;
    }

    /// <summary>What the warning is about.</summary>
    public ModelWarningKind Kind { get; }

    /// <summary>The name of the layer the warning is about, as the model's summary shows it.</summary>
    public string LayerName { get; }

    /// <summary>The type of that layer, as the model's summary shows it (<c>Conv1D</c>).</summary>
    public string LayerType { get; }

    /// <summary>The warning in words, Keras' text where Keras has one.</summary>
    public string Message { get; }

    /// <summary>Returns <see cref="Message"/>.</summary>
    public override string ToString() => Message;
}

using NeuralNet.Layers;

namespace NeuralNet.Models;

/// <summary>
/// A model's parameters as collected at one time: every parameter of its layers in layer order, those with a regularizer,
/// and the <see cref="GraphExecutor.ParameterSetStamp"/> they were collected at. Never changed once made, so a trainer
/// stepping one set and a thread reading another never see a list change under them.
/// </summary>
internal sealed class ParameterSet
{
    private ParameterSet(Parameter[] all, Parameter[] regularized, long stamp)
    {
        All = all;
        Regularized = regularized;
        Stamp = stamp;
    }

    /// <summary>The set of a model that is not built.</summary>
    public static ParameterSet Empty { get; } = new([], [], -1);

    /// <summary>Every parameter, each once, in layer order.</summary>
    public IReadOnlyList<Parameter> All { get; }

    /// <summary>The parameters with a regularizer.</summary>
    public IReadOnlyList<Parameter> Regularized { get; }

    /// <summary>The executor's parameter-set stamp when this set was collected.</summary>
    public long Stamp { get; }

    /// <summary>Collects the parameters of <paramref name="layers"/> at <paramref name="stamp"/>.</summary>
    public static ParameterSet Collect(IReadOnlyList<Layer> layers, long stamp)
    {
        Parameter[] all = [.. layers.SelectMany(l => l.Parameters)];
        return new ParameterSet(all, [.. all.Where(p => p.Regularizer is not null)], stamp);
    }
}

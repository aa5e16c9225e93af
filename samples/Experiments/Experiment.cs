namespace NeuralNet.Experiments;

/// <summary>An experiment from one of the documents: an id, what it does, and the code that reproduces it.</summary>
internal sealed record Experiment(string Id, string Document, string Title, Func<ExperimentContext, IReadOnlyList<ResultRow>> Run)
{
    /// <summary>The document group, e.g. "E3" for "E3.10".</summary>
    public string Group => Id[..Id.IndexOf('.', StringComparison.Ordinal)];
}

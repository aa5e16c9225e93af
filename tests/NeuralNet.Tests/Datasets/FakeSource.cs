using NeuralNet.Datasets;

namespace NeuralNet.Tests.Datasets;

/// <summary>A scripted <see cref="IMnistSource"/>: records every request and answers with a function.</summary>
internal sealed class FakeSource(string description, Func<string, Stream, CancellationToken, Task> serve) : IMnistSource
{
    public List<string> Requests { get; } = [];

    public string Description { get; } = description;

    public Task CopyToAsync(string fileName, Stream destination, CancellationToken cancellationToken)
    {
        Requests.Add(fileName);
        return serve(fileName, destination, cancellationToken);
    }

    public static FakeSource Failing(string description, Exception error) =>
        new(description, (_, _, _) => Task.FromException(error));

    public static FakeSource Serving(string description, IReadOnlyDictionary<string, byte[]> files) =>
        new(description, (name, destination, ct) => destination.WriteAsync(files[name], ct).AsTask());

    public static FakeSource Never(string description) =>
        new(description, (name, _, _) => throw new InvalidOperationException($"{description} should not be asked for {name}."));
}

namespace NeuralNet.Serialization;

/// <summary>
/// Creates the <see cref="InvalidDataException"/> that every loader in this namespace throws for a bad file.
/// </summary>
/// <remarks>
/// <see cref="InvalidDataException"/> is sealed, so NeuralNet cannot derive its own type from it; instead the
/// message always reads <c>'path': tensor 'name': problem</c> (the tensor part only when one is concerned), and
/// the parts are also stored in <see cref="Exception.Data"/> under <see cref="FileKey"/>, <see cref="TensorKey"/>
/// and <see cref="ProblemKey"/> for programs that want them separately.
/// </remarks>
internal static class FormatError
{
    /// <summary>The <see cref="Exception.Data"/> key of the file path (or stream description).</summary>
    public const string FileKey = "NeuralNet.File";

    /// <summary>The <see cref="Exception.Data"/> key of the tensor name, present when the problem concerns one tensor.</summary>
    public const string TensorKey = "NeuralNet.Tensor";

    /// <summary>The <see cref="Exception.Data"/> key of the problem alone.</summary>
    public const string ProblemKey = "NeuralNet.Problem";

    /// <summary>Creates the exception for a problem in <paramref name="file"/>, optionally in one tensor of it.</summary>
    public static InvalidDataException Create(string file, string? tensor, string problem, Exception? innerException = null)
    {
        string message = tensor is null ? $"'{file}': {problem}" : $"'{file}': tensor '{Shorten(tensor)}': {problem}";
        var exception = new InvalidDataException(message, innerException);
        exception.Data[FileKey] = file;
        if (tensor is not null)
        {
            exception.Data[TensorKey] = tensor;
        }

        exception.Data[ProblemKey] = problem;
        return exception;
    }

    /// <summary>Cuts hostile strings short before they go into messages.</summary>
    public static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");
}

namespace NeuralNet.Samples.DigitServer;

/// <summary>The body of every 400 answer: <c>{"error":"expected 784 pixels but got 10"}</c>.</summary>
/// <param name="Error">What was wrong with the request, with the values involved.</param>
internal sealed record ErrorResponse(string Error);

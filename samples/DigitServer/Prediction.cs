namespace NeuralNet.Samples.DigitServer;

/// <summary>The answer of <c>POST /api/predict</c>: <c>{"digit":7,"probabilities":[10 numbers]}</c>.</summary>
/// <param name="Digit">The most probable digit (the first one on a tie).</param>
/// <param name="Probabilities">The model's output for digits 0 to 9 (a softmax: each in [0, 1], summing to 1).</param>
internal sealed record Prediction(int Digit, float[] Probabilities);

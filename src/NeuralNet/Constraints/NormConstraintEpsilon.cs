namespace NeuralNet.Constraints;

/// <summary>Keras' <c>backend.epsilon()</c>, added to a norm before dividing by it so that a zero group stays zero.</summary>
internal static class NormConstraintEpsilon
{
    public const float Value = 1e-7f;
}

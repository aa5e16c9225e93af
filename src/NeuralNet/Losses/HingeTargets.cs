namespace NeuralNet.Losses;

/// <summary>Keras' conversion for the hinge losses: targets that are all 0 or 1 are binary labels, read as −1 and 1.</summary>
internal static class HingeTargets
{
    public static bool IsBinary(Tensor targets)
    {
        foreach (float t in targets.AsReadOnlySpan())
        {
            if (t is not (0f or 1f))
            {
                return false;
            }
        }

        return true;
    }
}

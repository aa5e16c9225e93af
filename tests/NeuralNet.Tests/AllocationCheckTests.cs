using Xunit;

namespace NeuralNet.Tests;

public class AllocationCheckTests
{
    [Fact]
    public void AssertNone_CodeThatAllocatesEveryTime_Fails()
    {
        var sink = new List<float[]>();
        var ex = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AllocationCheck.AssertNone(() => sink.Add(new float[100])));
        Assert.Contains("5 attempts", ex.Message);
    }

    [Fact]
    public void AssertNone_CodeThatDoesNotAllocate_Passes()
    {
        var buffer = new float[100];
        AllocationCheck.AssertNone(() => Array.Fill(buffer, 1f));
        Assert.Equal(1f, buffer[99]);
    }
}

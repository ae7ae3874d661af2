using System.Reflection;
using HeadlessVm.Core.Errors;

namespace HeadlessVm.Core.Tests;

/// <summary>The error catalogue: each id is its own name, once; each factory mints a catalogued id with a target.</summary>
public sealed class ErrorIdsTests
{
    private static readonly string[] Ids = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (string)f.GetRawConstantValue()!).ToArray();

    [Fact]
    public void Every_id_is_its_constants_name_and_appears_once()
    {
        foreach (var field in typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            Assert.Equal(field.Name, field.GetRawConstantValue());
        }

        Assert.Equal(Ids.Length, Ids.Distinct().Count());
    }

    [Fact]
    public void Every_factory_makes_a_catalogued_id_with_a_target_and_a_message()
    {
        var factories = typeof(HeadlessVmErrors).GetMethods(BindingFlags.Public | BindingFlags.Static);
        Assert.NotEmpty(factories);
        foreach (var factory in factories)
        {
            // A factory that takes its id (a classified native failure) is given a catalogued one.
            var arguments = factory.GetParameters().Select(p => p.Name == "id" ? ErrorIds.QemuStartFailed : Sample(p.ParameterType)).ToArray();
            var error = Assert.IsAssignableFrom<HeadlessVmException>(factory.Invoke(null, arguments));
            Assert.Contains(error.ErrorId, Ids);
            Assert.NotNull(error.Target);
            Assert.False(string.IsNullOrWhiteSpace(error.Message), factory.Name);
        }
    }

    private static object? Sample(Type type) => type switch
    {
        _ when type == typeof(string) => "x",
        _ when type == typeof(int) || type == typeof(int?) => 1,
        _ when type == typeof(bool) => true,
        _ when type == typeof(char) => 'x',
        _ when type == typeof(TimeSpan) => TimeSpan.FromSeconds(1),
        _ when type == typeof(FailureKind) => FailureKind.InvalidArgument,
        _ when type == typeof(Exception) => new IOException("inner"),
        _ when type == typeof(Model.VmState) => Model.VmState.Running,
        _ when type == typeof(Model.PortForward) => new Model.PortForward("127.0.0.1", 1, 2),
        _ when type == typeof(IEnumerable<string>) || type == typeof(IReadOnlyList<string>) => new[] { "a" },
        _ when type == typeof(State.StatePaths) => new State.StatePaths("/x", "HEADLESSVM_HOME"),
        _ when type == typeof(State.StateWriteException) => new State.StateWriteException("/x/y", new IOException("Read-only file system")),
        _ when type == typeof(Core.Libvirt.LibvirtError) => new Core.Libvirt.LibvirtError(1, 10, 2, "internal error"),
        _ => throw new InvalidOperationException($"no sample for {type}"),
    };
}

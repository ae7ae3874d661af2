global using HeadlessVm.Testing;
global using Xunit;

// SPDX-License-Identifier: MIT
/* What the Python rules look for: the sink table, network modules, dangerous builtins. */
#include <stdlib.h>
#include <string.h>

#include "pyrules_int.h"

/* Sorted (strcmp) for bsearch; pyrules_selftest() checks the order. */
static const struct sink { const char *name; enum py_kind kind; } sinks[] = {
	{ "_pickle.load", K_DESER }, { "_pickle.loads", K_DESER },
	{ "asyncio.create_subprocess_exec", K_SHELL }, { "asyncio.create_subprocess_shell", K_SHELL },
	{ "base64.a85decode", K_DECODE }, { "base64.b16decode", K_DECODE },
	{ "base64.b32decode", K_DECODE }, { "base64.b64decode", K_DECODE },
	{ "base64.b85decode", K_DECODE }, { "base64.decodebytes", K_DECODE },
	{ "base64.decodestring", K_DECODE }, { "base64.standard_b64decode", K_DECODE },
	{ "base64.urlsafe_b64decode", K_DECODE }, { "binascii.a2b_base64", K_DECODE },
	{ "binascii.a2b_hex", K_DECODE }, { "binascii.unhexlify", K_DECODE },
	{ "bytearray.fromhex", K_DECODE }, { "bytes.fromhex", K_DECODE },
	{ "bz2.decompress", K_DECODE }, { "cPickle.load", K_DESER }, { "cPickle.loads", K_DESER },
	{ "cloudpickle.load", K_DESER }, { "cloudpickle.loads", K_DESER },
	{ "codecs.decode", K_DECODE }, { "codecs.open", K_OPEN },
	{ "commands.getoutput", K_SHELL }, { "commands.getstatusoutput", K_SHELL },
	{ "compile", K_EXEC }, { "dill.load", K_DESER }, { "dill.loads", K_DESER },
	{ "eval", K_EXEC }, { "exec", K_EXEC }, { "execfile", K_EXEC },
	{ "glob.glob", K_READ }, { "glob.iglob", K_READ }, { "gzip.decompress", K_DECODE },
	{ "io.open", K_OPEN }, { "joblib.load", K_DESER }, { "jsonpickle.decode", K_DESER },
	{ "lzma.decompress", K_DECODE }, { "marshal.load", K_DESER }, { "marshal.loads", K_DESER },
	{ "numpy.load", K_DESER }, { "open", K_OPEN },
	{ "os.chmod", K_WRITE }, { "os.chown", K_WRITE },
	{ "os.execl", K_SHELL }, { "os.execle", K_SHELL }, { "os.execlp", K_SHELL },
	{ "os.execlpe", K_SHELL }, { "os.execv", K_SHELL }, { "os.execve", K_SHELL },
	{ "os.execvp", K_SHELL }, { "os.execvpe", K_SHELL },
	{ "os.link", K_WRITE }, { "os.listdir", K_READ }, { "os.makedirs", K_WRITE },
	{ "os.mkdir", K_WRITE }, { "os.mkfifo", K_WRITE }, { "os.mknod", K_WRITE },
	{ "os.open", K_OSOPEN }, { "os.popen", K_SHELL }, { "os.posix_spawn", K_SHELL },
	{ "os.posix_spawnp", K_SHELL }, { "os.remove", K_WRITE }, { "os.removedirs", K_WRITE },
	{ "os.rename", K_WRITE }, { "os.renames", K_WRITE }, { "os.replace", K_WRITE },
	{ "os.rmdir", K_WRITE }, { "os.scandir", K_READ },
	{ "os.spawnl", K_SHELL }, { "os.spawnle", K_SHELL }, { "os.spawnlp", K_SHELL },
	{ "os.spawnlpe", K_SHELL }, { "os.spawnv", K_SHELL }, { "os.spawnve", K_SHELL },
	{ "os.spawnvp", K_SHELL }, { "os.spawnvpe", K_SHELL },
	{ "os.symlink", K_WRITE }, { "os.system", K_SHELL }, { "os.truncate", K_WRITE },
	{ "os.unlink", K_WRITE }, { "os.utime", K_WRITE }, { "os.walk", K_READ },
	{ "pandas.read_pickle", K_DESER }, { "pickle.Unpickler", K_DESER },
	{ "pickle.load", K_DESER }, { "pickle.loads", K_DESER }, { "platform.popen", K_SHELL },
	{ "pty.fork", K_SHELL }, { "pty.spawn", K_SHELL }, { "shelve.open", K_DESER },
	{ "shutil.chown", K_WRITE }, { "shutil.copy", K_WRITE }, { "shutil.copy2", K_WRITE },
	{ "shutil.copyfile", K_WRITE }, { "shutil.copytree", K_WRITE },
	{ "shutil.make_archive", K_WRITE }, { "shutil.move", K_WRITE }, { "shutil.rmtree", K_WRITE },
	{ "shutil.unpack_archive", K_WRITE },
	{ "socket.AF_NETLINK", K_RAWSOCK }, { "socket.AF_PACKET", K_RAWSOCK },
	{ "socket.SOCK_RAW", K_RAWSOCK },
	{ "subprocess.Popen", K_SHELL }, { "subprocess.call", K_SHELL },
	{ "subprocess.check_call", K_SHELL }, { "subprocess.check_output", K_SHELL },
	{ "subprocess.getoutput", K_SHELL }, { "subprocess.getstatusoutput", K_SHELL },
	{ "subprocess.run", K_SHELL }, { "torch.load", K_DESER },
	{ "types.CodeType", K_EXEC }, { "types.FunctionType", K_EXEC },
	{ "urllib.request.urlretrieve", K_FETCH },
	{ "yaml.load", K_DESER }, { "yaml.load_all", K_DESER }, { "yaml.unsafe_load", K_DESER },
	{ "yaml.unsafe_load_all", K_DESER }, { "zlib.decompress", K_DECODE },
};

static const char *const net_modules[] = {
	"aiohttp", "asyncio.open_connection", "ftplib", "grpc", "http.client", "httplib2", "httpx",
	"imaplib", "paramiko", "poplib", "pycurl", "requests", "smtplib", "socket", "telnetlib",
	"urllib.request", "urllib2", "urllib3", "websocket", "websockets", "xmlrpc.client", "zmq",
	NULL,
};

/* Builtins whose lookup by a computed name is an evasion, not a style choice. */
static const char *const dangerous_builtins[] = {
	"eval", "exec", "compile", "__import__", "open", "getattr", "setattr", "globals",
	"locals", "vars", "execfile", "breakpoint", "input", NULL,
};

int pyrules_selftest(void)
{
	for (size_t i = 1; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		if (strcmp(sinks[i - 1].name, sinks[i].name) >= 0)
			return (int)i;
	return 0;
}

static int cmp_sink(const void *key, const void *elem)
{
	return strcmp(key, ((const struct sink *)elem)->name);
}

enum py_kind py_sink_kind(const char *dotted)
{
	const struct sink *k = bsearch(dotted, sinks, sizeof(sinks) / sizeof(sinks[0]),
				       sizeof(sinks[0]), cmp_sink);

	return k ? k->kind : 0;
}

bool py_in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool py_module_is(const char *dotted, const char *mod)
{
	size_t n = strlen(mod);

	return strncmp(dotted, mod, n) == 0 && (dotted[n] == '\0' || dotted[n] == '.');
}

bool py_is_network(const char *dotted)
{
	for (int i = 0; net_modules[i]; i++)
		if (dotted[0] == net_modules[i][0] && py_module_is(dotted, net_modules[i]))
			return true;
	return false;
}

bool py_dangerous_builtin(const char *name)
{
	return py_in_list(dangerous_builtins, name);
}

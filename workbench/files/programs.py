"""The small programs the workbench runs on the board for its file operations.

Each is a function defined, called and deleted in one exec, so nothing is left in the
board's globals; each prints its answer on one line starting with ``WBR`` (``repr()`` of plain
values, which the host reads with :func:`ast.literal_eval`), or raises, and the host turns
the board's exception into a one-line error (:mod:`workbench.files.errors`).

They use only what the oldest firmware has, and choose at run time: ``os.ilistdir`` (size
in its fourth item where the port gives it) else ``os.listdir``; ``os.stat`` else the
micro:bit's ``os.size``; ``hashlib.sha256`` (or ``uhashlib``) else a length and a byte sum.
They are short on purpose: on a board without raw-paste each byte of them crosses the link
with no flow control.
"""

from __future__ import annotations

from workbench.files.codec import DOWN_ESCAPED, UP_ESCAPED, board_escape_expr, board_unescape_expr

#: The board's hash of a file: ``sha256:<hex>``, or ``sum:<len>:<sum mod 2**32>`` without
#: sha256 (see workbench.files.codec.host_hash).
HASH_FN = """def _wbh(p):
 try:
  try:import hashlib
  except ImportError:import uhashlib as hashlib
  h=hashlib.sha256()
 except Exception:h=None
 f=open(p,'rb');n=0;s=0
 while 1:
  b=f.read(512)
  if not b:break
  if h:h.update(b)
  else:n+=len(b);s=(s+sum(b))&0xffffffff
 f.close()
 if h:return 'sha256:'+''.join('%02x'%x for x in h.digest())
 return 'sum:%d:%d'%(n,s)
"""

_JOIN = " def j(q,n):return n if not q else(q+n if q[-1]=='/' else q+'/'+n)\n"

LS = (
    "def _wbl(p):\n import os\n"
    + _JOIN
    + """ S=getattr(os,'stat',None)
 if p and not S:raise OSError(2)
 if S and p:
  t=S(p)
  if not t[0]&0x4000:print('WBR',repr([(p.split('/')[-1],0,t[6])]));return
 r=[]
 if hasattr(os,'ilistdir'):
  for e in(os.ilistdir(p) if p else os.ilistdir()):
   d=e[1]&0x4000
   s=e[3] if len(e)>3 else -1
   if not d and s<0 and S:s=S(j(p,e[0]))[6]
   r.append((e[0],1 if d else 0,-1 if d else s))
 else:
  for n in(os.listdir(p) if p else os.listdir()):
   if S:t=S(j(p,n));d=t[0]&0x4000;s=t[6]
   else:d=0;s=os.size(n)
   r.append((n,1 if d else 0,-1 if d else s))
 print('WBR',repr(r))
"""
)

STAT = """def _wbs(p):
 import os,sys
 S=getattr(os,'stat',None)
 if S:t=S(p);print('WBR',repr((1 if t[0]&0x4000 else 0,t[6],sys.platform)))
 else:print('WBR',repr((0,os.size(p),sys.platform)))
"""

TREE = (
    "def _wbt(p):\n import os\n"
    + _JOIN
    + """ S=os.stat
 r=[]
 def w(q):
  for n in(os.listdir(q) if q else os.listdir()):
   f=j(q,n);t=S(f)
   if t[0]&0x4000:r.append((f,1,-1));w(f)
   else:r.append((f,0,t[6]))
 w(p)
 print('WBR',repr(r))
"""
)

RM = (
    "def _wbr(p,a):\n import os\n"
    + _JOIN
    + """ S=getattr(os,'stat',None)
 def rm(q):
  if S and S(q)[0]&0x4000:
   if not a:raise OSError(21)
   for n in os.listdir(q):rm(j(q,n))
   os.rmdir(q)
  else:os.remove(q)
 rm(p)
 print('WBR',1)
"""
)

MKDIR = "def _wbm(p):\n import os\n os.mkdir(p)\n print('WBR',1)\n"
RMDIR = "def _wbd(p):\n import os\n os.rmdir(p)\n print('WBR',1)\n"
RENAME = "def _wbn(p,q):\n import os\n os.rename(p,q)\n print('WBR',1)\n"

HASHES = """def _wbx(ps):
 r=[]
 for p in ps:
  try:r.append(_wbh(p))
  except OSError:r.append(None)
 print('WBR',repr(r))
"""

#: Receives a file on stdin in escaped blocks (see workbench.files.codec), writes it to a
#: temporary name, reports the hash of what it wrote, and renames it over the target only
#: when the host says the hash matches. Whatever happens (a cancel, CTRL-C, an error), the
#: temporary file goes and the old file stays.
UPLOAD = (
    """def _wbu(t,d):
 import sys,os
 r=sys.stdin.buffer.read;w=sys.stdout.write
 f=open(t,'wb');ok=0
 try:
  w('WBGO %s\\n'%sys.platform)
  while 1:
   n=r(6)
   if n==b'000000':break
   if n==b'CANCEL':return
   b=r(int(n))
   f.write("""
    + board_unescape_expr("b", UP_ESCAPED)
    + """)
   w('.')
  f.close()
  w('WBH %s\\n'%_wbh(t))
  if r(1)==b'Y':
   try:os.rename(t,d)
   except OSError:
    os.remove(d);os.rename(t,d)
   ok=1
   w('WBOK\\n')
 finally:
  f.close()
  if not ok:
   try:os.remove(t)
   except OSError:pass
"""
)

#: UPLOAD for several files in one run (see workbench.files.transfer.upload_many): each
#: behind its path's length (4 digits) and path, answered ``+`` once its temporary copy is
#: open; ``0000`` ends the run. An error ends the run (the host names the file under way), and
#: the ``finally`` removes that file's temporary copy, as UPLOAD's does.
UPLOAD_MANY = (
    """def _wbv():
 import sys,os
 r=sys.stdin.buffer.read;w=sys.stdout.write
 f=t=None
 w('WBGO %s\\n'%sys.platform)
 try:
  while 1:
   n=r(4)
   if n==b'0000':break
   d=r(int(n)).decode();t=d+'.wbtmp'
   f=open(t,'wb')
   w('+')
   while 1:
    n=r(6)
    if n==b'000000':break
    b=r(int(n))
    f.write("""
    + board_unescape_expr("b", UP_ESCAPED)
    + """)
    w('.')
   f.close()
   w('WBH %s\\n'%_wbh(t))
   if r(1)==b'Y':
    try:os.rename(t,d)
    except OSError:
     os.remove(d);os.rename(t,d)
    w('WBOK\\n')
   else:os.remove(t)
   t=None
 finally:
  if f:f.close()
  if t:
   try:os.remove(t)
   except OSError:pass
"""
)

#: Sends a file on stdout in escaped blocks of ``z`` bytes (``y[0]`` on a unix-like port, whose
#: platform names are the rest of ``y``), after a line with its platform and size; then the
#: hash of what it read.
DOWNLOAD = (
    """def _wbg(p,z,y):
 import sys,os
 if sys.platform in y:z=y[0]
 try:
  try:import hashlib
  except ImportError:import uhashlib as hashlib
  h=hashlib.sha256()
 except Exception:h=None
 w=sys.stdout.write;o=getattr(sys.stdout,'buffer',sys.stdout).write
 f=open(p,'rb');n=0;s=0
 try:
  try:t=os.stat(p)[6]
  except Exception:t=-1
  w('WBGO %s %d\\n'%(sys.platform,t))
  while 1:
   b=f.read(z)
   if not b:break
   if h:h.update(b)
   else:n+=len(b);s=(s+sum(b))&0xffffffff
   b="""
    + board_escape_expr("b", DOWN_ESCAPED)
    + """
   w('%06d'%len(b));o(b)
  w('000000')
  w('WBH %s\\n'%('sha256:'+''.join('%02x'%x for x in h.digest()) if h else 'sum:%d:%d'%(n,s)))
 finally:
  f.close()
"""
)

#: For firmware without ``sys.stdin.buffer`` (the micro:bit's): the file is written by one
#: exec per chunk, as older tools do; slow, but every byte value goes as a bytes literal.
SLOW_OPEN = "_wbf=open({tmp!r},'wb')\n"
SLOW_WRITE = "_wbf.write({chunk!r})\n"
SLOW_CLOSE = "_wbf.close();del _wbf\nprint('WBR',repr(_wbh({tmp!r})))\n"
SLOW_COMMIT = """def _wbc(t,d):
 import os
 try:os.remove(d)
 except OSError:pass
 if hasattr(os,'rename'):os.rename(t,d)
 else:
  a=open(t,'rb');b=open(d,'wb')
  while 1:
   c=a.read(256)
   if not c:break
   b.write(c)
  a.close();b.close();os.remove(t)
 print('WBR',1)
"""
SLOW_DISCARD = "def _wbq(t):\n import os\n try:os.remove(t)\n except OSError:pass\n"
SLOW_READ = """def _wbk(p):
 f=open(p,'rb')
 while 1:
  b=f.read(96)
  if not b:break
  print('WBC',repr(b))
 f.close()
"""


def call(definition: str, name: str, *args: object) -> str:
    """An exec that defines ``name``, calls it with ``args`` (as literals) and deletes it."""
    arguments = ",".join(repr(arg) for arg in args)
    return f"{definition}{name}({arguments})\ndel {name}\n"


def with_hash(program: str) -> str:
    """``program`` with the hash function it calls; both deleted at the end."""
    return HASH_FN + program + "del _wbh\n"

// Preloaded (`node --require`) into Marp CLI's server by marpkit serve
// (marpkit/serve/preview.py). Marp's server has a port setting but no host,
// so its HTTP server and its reload notifier listen on every interface. This
// gives each listen that names no host the address in MARPKIT_LISTEN_HOST.
'use strict'
const net = require('node:net')

const host = process.env.MARPKIT_LISTEN_HOST
if (host) {
  const listen = net.Server.prototype.listen
  const isPort = (value) =>
    value === undefined || typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))
  net.Server.prototype.listen = function (...args) {
    const [first] = args
    if (args.length === 0) {
      args = [0, host]
    } else if (first !== null && typeof first === 'object') {
      // listen(options): a TCP port without a host, not a path or a handle.
      if (first.host === undefined && first.path === undefined && first.fd === undefined &&
          first.handle === undefined && first._handle === undefined) {
        args[0] = { ...first, host }
      }
    } else if (isPort(first)) {
      // listen(port[, host][, backlog][, callback]): the host is a string.
      if (args.length > 1 && (args[1] === undefined || args[1] === null)) args[1] = host
      else if (typeof args[1] !== 'string') args.splice(1, 0, host)
      if (args[0] === undefined) args[0] = 0
    }
    return listen.apply(this, args)
  }
}

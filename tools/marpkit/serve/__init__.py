"""marpkit serve: live preview, watcher and reporter."""

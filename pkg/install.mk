# `make install` and `make uninstall`, included by the Makefile.
#
# Directories follow the GNU names and may each be set on the command line:
#   make install PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu DESTDIR=/tmp/stage
# DEBUGDIR, when set, keeps the shared library's debug info apart in
# DEBUGDIR/libarn.so.VERSION.debug (linked by .gnu_debuglink); otherwise it
# is dropped. The .pc and CMake files locate everything relative to
# themselves, so a staged or moved tree works as installed.

LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/arn
DEBUGDIR     ?=
STRIP        ?= strip
OBJCOPY      ?= objcopy
INSTALL      ?= install

VERSION        := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOMAJOR        := $(word 1,$(subst ., ,$(VERSION)))
VERSION_NUMBER := $(shell echo $(subst ., ,$(VERSION)) | awk '{ print $$1 * 10000 + $$2 * 100 + $$3 }')
SONAME         := libarn.so.$(SOMAJOR)
REALNAME       := libarn.so.$(VERSION)
HEADERS        := include/arn.h include/arn.hpp

# What a program linked with libarn.a needs besides the C library (rustc's
# native-static-libs, less libc and libgcc_s, which the compiler adds).
STATIC_LIBS    := -lutil -lrt -lpthread -lm -ldl

# $(call relpath,FROM,TO): TO relative to directory FROM.
relpath = $(shell realpath -m --relative-to='$(1)' '$(2)')
# $(call below_prefix,VAR,DIR): DIR as $${VAR}/..., or as is outside PREFIX.
below_prefix = $(if $(filter $(abspath $(PREFIX))/%,$(abspath $(2))),$${$(1)}/$(call relpath,$(PREFIX),$(2)),$(abspath $(2)))

# Every file `make install` writes; `make uninstall` removes exactly these.
INSTALLED := $(LIBDIR)/$(REALNAME) $(LIBDIR)/$(SONAME) $(LIBDIR)/libarn.so \
             $(LIBDIR)/libarn.a $(addprefix $(INCLUDEDIR)/,$(notdir $(HEADERS))) \
             $(PKGCONFIGDIR)/arn.pc $(CMAKEDIR)/arnConfig.cmake \
             $(CMAKEDIR)/arnConfigVersion.cmake \
             $(if $(DEBUGDIR),$(DEBUGDIR)/$(REALNAME).debug)

SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOMAJOR@|$(SOMAJOR)|g' \
	-e 's|@VERSION_NUMBER@|$(VERSION_NUMBER)|g' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' \
	-e 's|@CMAKE_STATIC_LIBS@|$(subst $(space),;,$(patsubst -l%,%,$(filter-out -lpthread,$(STATIC_LIBS))))|g' \
	-e 's|@PC_TO_PREFIX@|$(call relpath,$(PKGCONFIGDIR),$(PREFIX))|g' \
	-e 's|@PC_LIBDIR@|$(call below_prefix,prefix,$(LIBDIR))|g' \
	-e 's|@PC_INCLUDEDIR@|$(call below_prefix,prefix,$(INCLUDEDIR))|g' \
	-e 's|@CMAKE_TO_PREFIX@|$(call relpath,$(CMAKEDIR),$(PREFIX))|g' \
	-e 's|@CMAKE_LIBDIR@|$(call below_prefix,_arn_prefix,$(LIBDIR))|g' \
	-e 's|@CMAKE_INCLUDEDIR@|$(call below_prefix,_arn_prefix,$(INCLUDEDIR))|g'
space := $(empty) $(empty)

.PHONY: install uninstall print-install-dirs

# Only the release library: no dev-dependencies, no header regeneration
# (the headers installed are the committed ones). The shared library is
# stripped of everything a program does not need; the archive keeps its
# symbols but drops the debug info and the LLVM bitcode (.llvmbc) that
# only rustc reads (28 MB -> about 5 MB).
install: lib | $(BUILD)
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(CMAKEDIR) $(if $(DEBUGDIR),$(DESTDIR)$(DEBUGDIR))
	cp $(OUT)/libarn.so $(BUILD)/$(REALNAME)
	$(if $(DEBUGDIR),$(OBJCOPY) --only-keep-debug $(BUILD)/$(REALNAME) $(BUILD)/$(REALNAME).debug)
	$(STRIP) --strip-unneeded $(BUILD)/$(REALNAME)
	$(if $(DEBUGDIR),$(OBJCOPY) --add-gnu-debuglink=$(BUILD)/$(REALNAME).debug $(BUILD)/$(REALNAME))
	$(if $(DEBUGDIR),$(INSTALL) -m 644 $(BUILD)/$(REALNAME).debug $(DESTDIR)$(DEBUGDIR)/)
	$(INSTALL) -m 755 $(BUILD)/$(REALNAME) $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sfn $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libarn.so
	cp $(OUT)/libarn.a $(BUILD)/libarn.a
	$(STRIP) --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd $(BUILD)/libarn.a
	$(INSTALL) -m 644 $(BUILD)/libarn.a $(DESTDIR)$(LIBDIR)/libarn.a
	$(INSTALL) -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/
	$(SUBST) pkg/arn.pc.in > $(BUILD)/arn.pc
	$(SUBST) pkg/arnConfig.cmake.in > $(BUILD)/arnConfig.cmake
	$(SUBST) pkg/arnConfigVersion.cmake.in > $(BUILD)/arnConfigVersion.cmake
	$(INSTALL) -m 644 $(BUILD)/arn.pc $(DESTDIR)$(PKGCONFIGDIR)/arn.pc
	$(INSTALL) -m 644 $(BUILD)/arnConfig.cmake $(BUILD)/arnConfigVersion.cmake $(DESTDIR)$(CMAKEDIR)/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then ldconfig; fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null 2>&1; then ldconfig; fi

# The install directories as shell assignments (for tests/consumer/run.sh).
print-install-dirs:
	@echo "PREFIX='$(PREFIX)' LIBDIR='$(LIBDIR)' INCLUDEDIR='$(INCLUDEDIR)' PKGCONFIGDIR='$(PKGCONFIGDIR)' CMAKEDIR='$(CMAKEDIR)'"

#!/usr/bin/env zsh
# complete.zsh FPATH_DIR LINE: the words an interactive zsh offers for LINE
# when Tab is pressed, with the completion functions in FPATH_DIR, printed on
# one line, sorted, each followed by a space. tests/test_cli.c runs it on
# the _jobsctl that `jobsctl completion zsh` prints.
#
# A zsh is started on a pseudo-terminal (zsh/zpty), compinit loads the
# functions, and compadd is wrapped to print each match it is given between
# markers, so that what is read back is what the menu would show.
emulate -L zsh
zmodload zsh/zpty || exit 1
dir=$1 line=$2

zpty z zsh -f -i
zpty -w z "PROMPT= RPROMPT=; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z 'zstyle ":completion:*" list-grouped false'
zpty -w z 'compadd() {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
	local -a hits; local h
	builtin compadd -A hits "$@"
	for h in $hits; do print -r -- "<<$h>>"; done
	builtin compadd -Q -U ""
}'
zpty -w z 'bindkey "^I" complete-word'
zpty -w z 'print -r -- "<<""START>>"'
zpty -n -w z "$line"$'\t'
zpty -w z $'\n''print -r -- "<<""END>>"'

typeset -a words
started=0
while zpty -r z out; do
	out=${out%%$'\r'}
	[[ $out == *'print -r'* ]] && continue # the echo of what was typed
	[[ $out == *'<<START>>'* ]] && { started=1; continue; }
	[[ $out == *'<<END>>'* ]] && break
	(( started )) && [[ $out == *'<<'*'>>'* ]] && words+=(${${out#*<<}%%>>*})
done
zpty -d z
(( started )) || { print -u2 "complete.zsh: zsh never started"; exit 1; }
for w in ${(ou)words}; do print -rn -- "$w "; done

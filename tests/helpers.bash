# helpers.bash — shared by the bats files: a scratch copy of the tree, so tests
# never touch the real work/, notes/ or build/.

# English unless a test asks for Spanish, whatever the machine's locale
unset TL_LANG LC_ALL LC_MESSAGES LANGUAGE
export LANG=C.UTF-8

# every scratch copy compiles through the real tree's ccache (tools/lab): the
# copies have the same layout, so what one compiled, the next gets back
export CCACHE_DIR=${CCACHE_DIR:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)/build/ccache}

# copy_tree DEST: the tracked and new files, never a learner's work/ or notes
copy_tree() {
    local src
    src=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
    mkdir -p "$1"
    (cd "$src" && { git ls-files -co --exclude-standard 2>/dev/null || find . -type f -not -path './build/*'; }) |
        grep -v -E '^(\./)?(work/|notes/lab[0-9]|build/|\.github/)' |
        (cd "$src" && tar --ignore-failed-read -cf - -T - 2>/dev/null) | (cd "$1" && tar -xf -)
}

# make_submission DIR LAB STATE: a learner's tree holding work/labNN in STATE
# (broken: the break applied; fixed: break then fix; PATCH: broken + that patch)
make_submission() {
    local dir=$1 lab=$2 state=$3 slug
    slug=$(cd "$REPO/labs" && ls -d "lab$lab"-* | head -n1)
    mkdir -p "$dir/work"
    cp -R "$REPO/lib" "$dir/work/lab$lab"
    patch -s -p1 -d "$dir/work/lab$lab" < "$REPO/breaks/$slug.patch"
    case "$state" in
    broken) ;;
    fixed) patch -s -p1 -d "$dir/work/lab$lab" < "$REPO/fixes/$slug.patch" ;;
    *) patch -s -p1 -d "$dir/work/lab$lab" < "$state" ;;
    esac
}
